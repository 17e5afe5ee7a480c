"""RQ job entry points: module-level functions with plain arguments.

Appends do not enqueue one job per event. ``request_projection`` sets a short-lived flag
and enqueues ``project`` only when the flag was not set, so a burst of appends costs one
job. The job clears the flag before it reads the log: an append after that point enqueues
a new job, an append before it is seen by this one, so no wake-up is lost. The job seals
the global chain (service/store/seal.py) before it projects.
"""

from __future__ import annotations

import redis
from rq import Queue

from service.bootstrap import Services
from service.config import Config
from service.store.keys import Keys
from workers import runtime
from workers.projector import Projector

# A lost job (worker killed, queue flushed) only delays projection this long.
WAKE_FLAG_TTL_MS = 60_000
PROJECT_TIMEOUT_SECONDS = 3600


def wake_flag(key_prefix: str) -> str:
    return Keys(key_prefix).projector_wake


def request_projection(connection: redis.Redis, key_prefix: str | None = None) -> bool:
    """Wake the projector after an append; True when a job was enqueued. ``connection`` is
    the RQ (bytes) connection; ``key_prefix`` defaults to the configured one."""
    prefix = key_prefix if key_prefix is not None else Config.from_env().key_prefix
    if not connection.set(wake_flag(prefix), "1", nx=True, px=WAKE_FLAG_TTL_MS):
        return False
    _enqueue(connection)
    return True


def _enqueue(connection: redis.Redis) -> None:
    from workers.schedule import QUEUE  # schedule.py imports the job modules

    Queue(QUEUE, connection=connection).enqueue(
        project, job_timeout=PROJECT_TIMEOUT_SECONDS, result_ttl=60, failure_ttl=7 * 24 * 3600
    )


def wake_projector(services: Services, woke: bool | None = None) -> None:
    """An append listener (create_app registers it): wake the projector after appends.

    ``woke`` is what the append said about the wake flag, when the store sets it itself
    (``EventStore.wake_on_append``, as the API's store does): True means this append set
    it, so queue the job; False means a job is already queued. None: set it here."""
    connection = runtime.job_connection(services)
    if woke is None:
        request_projection(connection, services.keys.prefix)
    elif woke:
        _enqueue(connection)


def project() -> int:
    """Bring the read models up to the head of the log; the number of events folded."""
    return catch_up(runtime.services())


def catch_up(services: Services) -> int:
    """Seal the global chain up to the head, then project it."""
    services.redis.delete(wake_flag(services.keys.prefix))
    services.store.sealer.seal_all()
    return Projector(services).catch_up()
