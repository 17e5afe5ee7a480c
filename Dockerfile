FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY service ./service
COPY schemas ./schemas
COPY workers ./workers
# The metrics folder belongs to the service user, so a volume mounted on it does too.
RUN pip install --no-cache-dir . -c constraints.txt \
    && useradd --system --uid 10001 --no-create-home reform-tracker \
    && mkdir -p /run/reform-tracker/metrics && chown reform-tracker /run/reform-tracker/metrics
USER reform-tracker

EXPOSE 8080
CMD ["gunicorn", "-c", "python:service.api.gunicorn_config", "-b", "0.0.0.0:8080", "service.wsgi:app"]
