"""The periodic jobs `reform-tracker scheduler` enqueues, and the queue they go to.

To add one, append a PeriodicJob to PERIODIC_JOBS, e.g.
``PeriodicJob(scan_for_overdue_milestones, interval=60)``. Job functions are
module-level and take plain arguments, as RQ expects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

QUEUE = "reform-tracker"


@dataclass(frozen=True)
class PeriodicJob:
    func: Callable[..., Any]
    interval: int | None = None  # seconds between runs
    cron: str | None = None  # or a crontab line, in the scheduler host's local time
    kwargs: dict[str, Any] = field(default_factory=dict)
    job_timeout: int | None = None


PERIODIC_JOBS: list[PeriodicJob] = []
