"""Waking the projector after appends, one job per burst instead of one per event.

``request_projection`` sets a short-lived flag and enqueues the projector job only when
the flag was not set, so a burst of appends costs one job. The job clears the flag
before it reads the log (``catch_up``): an append after that point enqueues a new job,
an append before it is seen by this one, so no wake-up is lost.
"""

from __future__ import annotations

from service.ledger.infrastructure import Infrastructure
from service.runtime.jobs import PROJECTION_QUEUE, JobQueue

PROJECT_JOB = "workers.jobs.project"
# A lost job (worker killed, queue flushed) only delays projection this long.
WAKE_FLAG_TTL_MS = 60_000
PROJECT_TIMEOUT_SECONDS = 3600


def request_projection(infrastructure: Infrastructure) -> bool:
    """Wake the projector; True when a job was enqueued."""
    flag = infrastructure.keys.projector_wake
    if not infrastructure.redis.set(flag, "1", nx=True, px=WAKE_FLAG_TTL_MS):
        return False
    enqueue_projection(infrastructure.jobs)
    return True


def enqueue_projection(jobs: JobQueue) -> None:
    jobs.enqueue(
        PROJECT_JOB,
        queue_name=PROJECTION_QUEUE,  # never behind alert deliveries (see runtime/jobs.py)
        job_timeout=PROJECT_TIMEOUT_SECONDS,
        result_ttl=60,
        failure_ttl=7 * 24 * 3600,
    )


def wake_projector(infrastructure: Infrastructure, woke: bool | None = None) -> None:
    """An append listener (create_app registers it): wake the projector after appends.

    ``woke`` is what the append said about the wake flag, when the store sets it itself
    (``EventStore.wake_on_append``, as the API's store does): True means this append set
    it, so queue the job; False means a job is already queued. None: set it here."""
    if woke is None:
        request_projection(infrastructure)
    elif woke:
        enqueue_projection(infrastructure.jobs)


def set_wake_on_append(infrastructure: Infrastructure) -> None:
    """Let the append script set the wake flag itself: one round trip less per command."""
    infrastructure.store.wake_on_append(infrastructure.keys.projector_wake, WAKE_FLAG_TTL_MS)
