"""Alert deliveries never hold back the projector (and the sealer, which it runs).

A notifier run can queue thousands of deliveries at once. The projection wake-up queued
after them must still be the first job a worker starts, so the dashboards and the
global chain stay current while the deliveries drain.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from rq import Queue
from rq.job import Job
from rq.registry import FinishedJobRegistry

from service.bootstrap import Services
from service.cli import main
from service.dashboards.wake import PROJECT_JOB, request_projection
from tests.projection_support import Scenario, random_history
from workers import runtime

DELIVERIES = 60


def finished_jobs(services: Services) -> list[Job]:
    connection = services.jobs.connection
    ids = [
        (job_id, queue.name)
        for queue in Queue.all(connection=connection)
        for job_id in FinishedJobRegistry(queue.name, connection=connection).get_job_ids()
    ]
    jobs = Job.fetch_many([job_id for job_id, _ in ids], connection=connection)
    return [job for job in jobs if job is not None]


def started(job: Job) -> datetime:
    assert job.started_at is not None, f"{job.func_name} never started"
    return job.started_at


def test_a_projection_wake_up_runs_before_a_burst_of_deliveries(
    services: Services, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    random_history(Scenario(services, services.clock.today()), 30, seed=4)
    # A burst of deliveries, as a notifier run queues them (these have nothing to send,
    # so each finishes at once), then the wake-up an append sends.
    for n in range(DELIVERIES):
        services.jobs.enqueue("workers.delivery.deliver", f"delivery-{n}", job_timeout=60)
    assert request_projection(services)

    monkeypatch.delenv("RT_ALLOW_UNSAFE_REDIS", raising=False)
    runtime.install(services)  # the work horses fork from this process
    try:
        assert main(["worker", "--burst", "--redis-url", redis_url]) == 0
    finally:
        runtime.install(None)

    ran = finished_jobs(services)
    assert len(ran) == DELIVERIES + 1, "every job ran"
    jobs = sorted(ran, key=started)
    assert jobs[0].func_name == PROJECT_JOB, [job.func_name for job in jobs[:3]]
    projected_by = jobs[0].ended_at
    assert projected_by is not None
    assert all(started(job) >= projected_by for job in jobs[1:]), "no delivery went first"
    assert services.store.sealer.sealed_position() == services.store.head_position()
