"""No GET request writes to Redis: not the API, not the pages, not the health checks.

Read models are written by the projector and by whoever appends alert events; a read
that "caught up" on its own would race them and turn a reader's traffic into writes.
The rate limiter's counters are the one exception: counting requests is what they are.
"""

from __future__ import annotations

import re
from datetime import timedelta

import redis
from flask.testing import FlaskClient

from service.alerts.feed import AlertFeed
from service.alerts.scan import OverdueScanner
from service.bootstrap import Services
from tests.alerting import Tracked, project_read_models
from tests.conftest import AGENCY_A, bearer
from tests.redis_state import redis_state
from workers import jobs, runtime


def test_every_get_leaves_redis_as_it_was(
    client: FlaskClient, tokens: dict[str, str], services: Services, redis_client: redis.Redis
) -> None:
    tracked = Tracked(services)
    late = tracked.milestone(services.clock.today() - timedelta(days=9), "Video surveillance")
    project_read_models(services)
    OverdueScanner(services).scan()
    alert_id = AlertFeed(services.store).active()[0]["alert_id"]
    # Forget that the feed folded the alert: a read that catches the feed up would write.
    feed = AlertFeed(services.store)
    redis_client.delete(feed.checkpoint_key, feed.docs_key, feed.feed_key, feed.active_key)
    ids = {
        "programme_id": tracked.programme_id,
        "initiative_id": tracked.initiative_id,
        "milestone_id": late,
        "alert_id": alert_id,
        "agency": AGENCY_A,
        "stream": f"milestone-{late}",
        "subscription_id": "00000000-0000-4000-8000-000000000000",
    }
    spec = client.get("/openapi.json").get_json()
    api_paths = [path for path, operations in spec["paths"].items() if "get" in operations]
    pages = [
        "/ui/",
        "/ui/programmes/{programme_id}",
        "/ui/initiatives/{initiative_id}",
        "/ui/milestones/{milestone_id}",
        "/ui/agencies/{agency}",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
    ]
    client.post("/ui/login", data={"token": tokens["admin"], "next": "/ui/"})
    before = redis_state(redis_client)

    answered = {}
    for template in api_paths + pages:
        missing = set(re.findall(r"{(\w+)}", template)) - set(ids)
        assert not missing, f"no value for {missing} in {template}"
        path = re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], template)
        for token in ("admin", "overseer"):
            answered[(path, token)] = client.get(path, headers=bearer(tokens[token])).status_code

    assert all(status < 500 for status in answered.values()), answered
    assert len(api_paths) >= 15, api_paths  # the walk covered the API, not a corner of it
    after = redis_state(redis_client)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert not changed, {k: (before.get(k), after.get(k)) for k in changed}


def test_the_projector_run_folds_alert_events_the_feed_missed(
    services: Services, redis_client: redis.Redis
) -> None:

    tracked = Tracked(services)
    tracked.milestone(services.clock.today() - timedelta(days=9), "Video surveillance")
    project_read_models(services)
    OverdueScanner(services).scan()
    feed = AlertFeed(services.store)
    raised = feed.active()
    # As after a crash between an append and its fold: the feed knows nothing yet.
    redis_client.delete(feed.checkpoint_key, feed.docs_key, feed.feed_key, feed.active_key)
    assert feed.active() == []
    runtime.install(services)
    try:
        jobs.project()
    finally:
        runtime.install(None)
    assert feed.active() == raised
