"""An acknowledged append wakes the projector once per burst, and the dashboards follow."""

from __future__ import annotations

from rq import Queue, SimpleWorker

from tests.conftest import bearer
from tests.integration.api_helpers import post, seed
from workers import runtime
from workers.schedule import QUEUE


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
    connection = runtime.job_connection(services)
    queue = Queue(QUEUE, connection=connection)
    assert queue.count == 1
    runtime.install(services)
    try:
        SimpleWorker([queue], connection=connection).work(burst=True)
    finally:
        runtime.install(None)
    dashboard = client.get(
        f"/programmes/{s.programme_id}/dashboard", headers=bearer(tokens["viewer"])
    ).json
    assert dashboard["as_of_position"] == services.store.head_position()
