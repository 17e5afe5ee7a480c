"""WSGI entry point: `gunicorn -c python:service.api.gunicorn_config service.wsgi:app`,
configured from RT_* variables."""

from service.api.app import create_app
from service.cli.base import resolve_redis
from service.runtime import logs
from service.runtime.config import Config

config = Config.from_env()
# gunicorn has configured logging from the same dict already; this sets the level, and
# configures it when the module is served some other way.
logs.configure(config.log_level)
# Without RT_REDIS_URL, serve the embedded Redis that `reform-tracker up` recorded.
app = create_app(resolve_redis(config))
