"""The periodic jobs `reform-tracker scheduler` enqueues, and the queue they go to.

To add one, append a PeriodicJob to PERIODIC_JOBS, e.g.
``PeriodicJob(scan_for_overdue_milestones, interval=60)``. Job functions are
module-level and take plain arguments, as RQ expects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rq.cron import CronScheduler

from workers.alerts import scan_for_overdue_milestones
from workers.delivery import send_digests
from workers.jobs import project
from workers.notify import notify

QUEUE = "reform-tracker"


@dataclass(frozen=True)
class PeriodicJob:
    func: Callable[..., Any]
    interval: int | None = None  # seconds between runs
    cron: str | None = None  # or a crontab line, in the scheduler host's local time
    kwargs: dict[str, Any] = field(default_factory=dict)
    job_timeout: int | None = None


PERIODIC_JOBS: list[PeriodicJob] = [
    # Alerts: the scan is cheap (due-date index), so it runs often; the notifier run is
    # the safety net that resends deliveries a dead worker left behind.
    PeriodicJob(scan_for_overdue_milestones, interval=300, job_timeout=300),
    PeriodicJob(notify, interval=60, job_timeout=300),
    PeriodicJob(send_digests, cron="0 7 * * *", job_timeout=600),
    # Projection runs on coalesced wake-ups after appends; this catches up after a start
    # or a lost wake-up (and waits while another worker holds the projector lease).
    PeriodicJob(project, interval=60, job_timeout=3600),
]


def register_periodic_jobs(scheduler: CronScheduler) -> None:
    for job in PERIODIC_JOBS:
        scheduler.register(
            job.func,
            QUEUE,
            kwargs=job.kwargs,
            interval=job.interval,
            cron=job.cron,
            job_timeout=job.job_timeout,
        )
