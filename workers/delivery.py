"""RQ jobs: one delivery attempt, and the daily e-mail digest (service/alerts/sending.py).

A transient failure raises, so RQ's Retry schedules the next attempt after the
configured interval.
"""

from __future__ import annotations

from rq import get_current_job

from service.alerts import sending
from workers import runtime


def deliver(delivery_id: str) -> str:
    """RQ job: one attempt at one delivery, recorded in the delivery log."""
    job = get_current_job()
    # RQ knows the next interval only while retries are left.
    retry = (
        sending.Retry(job.retries_left, job.get_retry_interval())
        if job is not None and job.retries_left
        else None
    )
    return sending.deliver(runtime.services(), delivery_id, retry)


def send_digests() -> dict[str, int]:
    """RQ job, daily: one e-mail per digest subscription with the events gathered since."""
    return sending.send_digests(runtime.services())
