"""RQ wake-ups coalesce, the job projects to the head, a second worker waits for the lease,
and a projection error is kept for `projector status` with nothing half-applied."""

from __future__ import annotations

import orjson
import pytest
from rq import Queue, SimpleWorker

from service.bootstrap import Services
from service.dashboards.domain.milestone_projection import ProjectionGap
from service.dashboards.projector import Projector
from service.dashboards.projector_status import lease_key, projector_status
from service.dashboards.readmodels import Layout, ReadModels, live_generations
from service.dashboards.wake import request_projection
from service.runtime.lease import lease
from tests.projection_support import Scenario, random_history
from workers import runtime
from workers.registry import PROJECTION_QUEUE


def test_wake_ups_coalesce_into_one_job_that_projects_to_the_head(services: Services) -> None:
    random_history(Scenario(services, services.clock.today()), 60, seed=1)
    connection = services.jobs.connection
    queue = Queue(PROJECTION_QUEUE, connection=connection)
    assert request_projection(services) is True
    assert request_projection(services) is False  # one is queued
    assert queue.count == 1
    runtime.install(services)
    try:
        SimpleWorker([queue], connection=connection).work(burst=True)
    finally:
        runtime.install(None)
    assert projector_status(services)["lag"] == 0
    assert not services.redis.exists(services.keys.projector_wake)
    assert request_projection(services) is True  # awake again


def test_a_second_worker_waits_for_the_lease_then_catches_up(services: Services) -> None:
    random_history(Scenario(services, services.clock.today()), 40, seed=2)
    holder = lease(services.redis, lease_key(services), ttl_ms=300)
    assert holder.acquire(blocking=False)
    waiting = Projector(services)
    assert waiting.catch_up(wait_seconds=0) == 0  # not its turn
    assert waiting.catch_up(wait_seconds=30) == services.store.head_position()
    assert not services.redis.exists(lease_key(services))  # released when done


def test_a_projection_error_is_recorded_and_nothing_is_half_applied(services: Services) -> None:
    scenario = Scenario(services, services.clock.today())
    scenario.plan(0, 10)
    Projector(services).catch_up()
    scenario.act(0, 0, 5)  # start it
    # A read model that is ahead of the log, e.g. restored from the wrong backup.
    layout = Layout(services.keys, live_generations(services.redis, services.keys))
    milestone_id = scenario.milestones[0]
    stored = orjson.loads(services.redis.hget(layout.records("milestones"), milestone_id) or "")
    stored["version"] = 5
    services.redis.hset(layout.records("milestones"), milestone_id, orjson.dumps(stored))
    before = ReadModels(services.redis, services.keys).checkpoint()

    with pytest.raises(ProjectionGap):
        Projector(services).catch_up()

    status = projector_status(services)
    assert "ProjectionGap" in status["last_error"] and status["last_error_at"]
    assert status["checkpoint"] == before and status["lag"] == 1
