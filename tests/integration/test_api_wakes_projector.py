"""An acknowledged append wakes the projector once per burst, and the dashboards follow.

The append script sets the wake flag itself, so a command costs no extra round trip for
it; only the append that set the flag queues the job, which seals and projects."""

from __future__ import annotations

from rq import Queue, SimpleWorker

from tests.conftest import bearer
from tests.integration.api_helpers import post, seed
from workers import runtime
from workers.registry import PROJECTION_QUEUE


def work_off(services, queue: Queue) -> None:
    runtime.install(services)
    try:
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    finally:
        runtime.install(None)


def test_appends_enqueue_one_coalesced_projection_job(client, tokens, services) -> None:
    s = seed(client, tokens)
    for percent in (10, 20):
        post(client, tokens["reporter_a"], f"/milestones/{s.milestone_id}/start", {})
        post(
            client,
            tokens["reporter_a"],
            f"/milestones/{s.milestone_id}/report-progress",
            {"percent": percent},
        )
    queue = Queue(PROJECTION_QUEUE, connection=services.jobs.connection)
    assert queue.count == 1
    assert services.redis.exists(services.keys.projector_wake)
    work_off(services, queue)
    assert not services.redis.exists(services.keys.projector_wake)
    assert services.store.sealer.sealed_position() == services.store.head_position()
    dashboard = client.get(
        f"/programmes/{s.programme_id}/dashboard", headers=bearer(tokens["viewer"])
    ).json
    assert dashboard["as_of_position"] == services.store.head_position()


def test_the_next_append_after_a_job_wakes_the_projector_again(client, tokens, services) -> None:
    s = seed(client, tokens)
    queue = Queue(PROJECTION_QUEUE, connection=services.jobs.connection)
    work_off(services, queue)
    assert queue.count == 0
    path = f"/milestones/{s.milestone_id}/comment"
    assert post(client, tokens["reporter_a"], path, {"text": "one"}).status_code == 200
    assert post(client, tokens["reporter_a"], path, {"text": "two"}).status_code == 200
    assert queue.count == 1
