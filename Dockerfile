FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY service ./service
COPY schemas ./schemas
COPY workers ./workers
RUN pip install --no-cache-dir . -c constraints.txt && useradd --system --no-create-home reform-tracker
USER reform-tracker

EXPOSE 8080
CMD ["gunicorn", "service.wsgi:app", "-b", "0.0.0.0:8080"]
