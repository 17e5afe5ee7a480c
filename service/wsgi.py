"""WSGI entry point: `gunicorn service.wsgi:app`, configured from RT_* variables."""

from service.api.app import create_app
from service.cli.base import resolve_redis
from service.runtime.config import Config

# Without RT_REDIS_URL, serve the embedded Redis that `reform-tracker up` recorded.
app = create_app(resolve_redis(Config.from_env()))
