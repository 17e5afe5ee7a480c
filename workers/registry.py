"""The job registry: the queues jobs go to, and the periodic jobs the scheduler
(`reform-tracker scheduler`) enqueues.

Projection has a queue of its own, served first by every worker (service/runtime/jobs.py),
so alert deliveries never hold the dashboards back.

Jobs are named by dotted path, so this module imports no job module: the job modules
may import anything of the service, and nothing imports them back. To add a periodic
job, append a PeriodicJob to PERIODIC_JOBS, e.g.
``PeriodicJob("workers.alerts.scan_for_overdue_milestones", interval=60)``. Job
functions are module-level and take plain arguments, as RQ expects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rq.cron import CronScheduler
from rq.utils import import_attribute

from service.runtime.jobs import PROJECTION_QUEUE, QUEUE, QUEUES

__all__ = [
    "PERIODIC_JOBS",
    "PROJECTION_QUEUE",
    "QUEUE",
    "QUEUES",
    "PeriodicJob",
    "register_periodic_jobs",
]


@dataclass(frozen=True)
class PeriodicJob:
    func: str  # dotted path of a module-level function under workers/
    interval: int | None = None  # seconds between runs
    cron: str | None = None  # or a crontab line, in the scheduler host's local time
    kwargs: dict[str, Any] = field(default_factory=dict)
    job_timeout: int | None = None
    queue: str = QUEUE


PERIODIC_JOBS: list[PeriodicJob] = [
    # Alerts: the scan is cheap (due-date index), so it runs often; the notifier run is
    # the safety net that resends deliveries a dead worker left behind.
    PeriodicJob("workers.alerts.scan_for_overdue_milestones", interval=300, job_timeout=300),
    PeriodicJob("workers.notify.notify", interval=60, job_timeout=300),
    PeriodicJob("workers.delivery.send_digests", cron="0 7 * * *", job_timeout=600),
    # Projection runs on coalesced wake-ups after appends; this catches up after a start
    # or a lost wake-up (and waits while another worker holds the projector lease).
    PeriodicJob("workers.jobs.project", interval=60, job_timeout=3600, queue=PROJECTION_QUEUE),
    # A full fold of the log: hourly is often enough to surface an edited read model
    # before many people have read it, and cheap enough beside the projector.
    PeriodicJob("workers.jobs.check_read_models_against_the_log", interval=3600, job_timeout=3600),
]


def register_periodic_jobs(scheduler: CronScheduler) -> None:
    for job in PERIODIC_JOBS:
        scheduler.register(
            import_attribute(job.func),
            job.queue,
            kwargs=job.kwargs,
            interval=job.interval,
            cron=job.cron,
            job_timeout=job.job_timeout,
        )
