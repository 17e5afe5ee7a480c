"""What a job function runs against: the worker process's Services and its RQ queue.

RQ jobs are module-level functions taking plain arguments, so they cannot be handed a
Services object; they ask this module, which bootstraps once per process from the
environment. Tests that run jobs in-process install their own (frozen clock and all).
"""

from __future__ import annotations

from pathlib import Path

import redis
from rq import Queue

from service.bootstrap import Services, bootstrap
from service.config import Config
from service.embedded_redis import recorded_url

_installed: Services | None = None


def install(services: Services | None) -> None:
    global _installed
    _installed = services


def services() -> Services:
    global _installed
    if _installed is None:
        config = Config.from_env()
        if not config.redis_url:  # started by `up` against its embedded Redis
            config = config.with_(redis_url=recorded_url(Path(config.data_dir)) or "")
        _installed = bootstrap(config)
    return _installed


def job_connection(found: Services) -> redis.Redis:
    """The same Redis without reply decoding: RQ stores pickled job data."""
    cached = found.extras.get("rq_connection")
    if isinstance(cached, redis.Redis):
        return cached
    pool = found.redis.connection_pool
    kwargs = {**pool.connection_kwargs, "decode_responses": False}
    client = redis.Redis(
        connection_pool=redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
    )
    found.extras["rq_connection"] = client
    return client


def queue(found: Services) -> Queue:
    from workers.schedule import QUEUE  # schedule.py imports the job modules

    return Queue(QUEUE, connection=job_connection(found))
