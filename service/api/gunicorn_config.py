"""gunicorn settings of the API, one module for `reform-tracker up`, the Dockerfile and
docker-compose.yml: `gunicorn -c python:service.api.gunicorn_config service.wsgi:app`.

Logging comes from the service's one configuration (service/runtime/logs.py), so
gunicorn's error and access logs are JSON lines like every other process's. When a
worker exits, its live gauges are dropped from the multiprocess metrics (its counters
stay in the totals). The address is left to the command line: it is what differs
between `up` (127.0.0.1) and a container (0.0.0.0).
"""

from __future__ import annotations

import os
from typing import Any

from service.runtime import heap
from service.runtime.config import Config
from service.runtime.logs import ACCESS_FORMAT, logging_config
from service.runtime.metrics import mark_process_dead

# WEB_CONCURRENCY is the variable gunicorn itself reads for this; `up --workers` sets it.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
# Threads, so that a slow client holds one thread (for at most RT_BODY_TIMEOUT_SECONDS)
# and not a whole worker; and gunicorn's own refusals answered as problem+json.
worker_class = "service.api.gunicorn_worker.ProblemThreadWorker"
threads = 8
# Time a worker has to finish its request on SIGTERM; `up` waits for it before Redis stops.
graceful_timeout = 10
logconfig_dict = logging_config(Config.from_env().log_level)
access_log_format = ACCESS_FORMAT


def post_worker_init(worker: Any) -> None:
    # The worker has loaded the app: what it holds now lives as long as the worker.
    heap.settle()


def child_exit(server: Any, worker: Any) -> None:
    mark_process_dead(worker.pid)
