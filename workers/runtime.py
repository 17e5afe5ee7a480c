"""What a job function runs against: the worker process's Services.

RQ jobs are module-level functions taking plain arguments, so they cannot be handed a
Services object; they ask this module, which bootstraps once per process from the
environment. Tests that run jobs in-process install their own (frozen clock and all).
"""

from __future__ import annotations

from pathlib import Path

from service.bootstrap import Services, bootstrap
from service.runtime.config import Config
from service.runtime.redis_server import recorded_url

_installed: Services | None = None


def install(services: Services | None) -> None:
    global _installed
    _installed = services


def services() -> Services:
    global _installed
    if _installed is None:
        config = Config.from_env()
        if not config.has_redis:  # started by `up` against its embedded Redis
            config = config.with_(redis_url=recorded_url(Path(config.data_dir)) or "")
        _installed = bootstrap(config)
    return _installed
