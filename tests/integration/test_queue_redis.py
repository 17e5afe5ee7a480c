"""RQ's queues on a Redis of their own (RT_QUEUE_REDIS_URL), here beside a single log
server: while that Redis is down, writes to the log are still acknowledged, and the
wake-ups they could not queue are left to the periodic catch-up."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from service.alerts.notifier import QUEUED_LEASE_SECONDS, Notifier, delivery_log
from service.alerts.scan import OverdueScanner
from service.bootstrap import Services
from service.runtime.config import Config
from service.runtime.redis_server import free_port
from tests.alerting import Tracked, project_read_models
from tests.conftest import bearer


@pytest.fixture
def config(config: Config) -> Config:
    down = f"redis://127.0.0.1:{free_port()}/0"
    return config.with_(queue_redis_url=down, webhook_allow_private=True)


def test_a_queue_redis_that_is_down_refuses_no_write(
    client: FlaskClient,
    services: Services,
    tokens: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="reform_tracker"):
        tracked = Tracked(services)
        tracked.milestone(services.clock.today() - timedelta(days=3))
        project_read_models(services)
        OverdueScanner(services).scan()
        [alert] = client.get("/alerts", headers=bearer(tokens["viewer"])).json["alerts"]
        head = services.store.head_position()
        done = client.post(
            f"/alerts/{alert['id']}/acknowledge",
            json={"note": "cameras arrive Monday"},
            headers=bearer(tokens["reporter_a"]),
        )
    assert done.status_code == 200, done.json
    assert done.json["state"] == "acknowledged"
    assert services.store.head_position() == head + 1
    assert "notifier wake-up not queued" in caplog.text


def test_deliveries_that_cannot_be_queued_stay_in_the_outbox(
    client: FlaskClient, services: Services, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["admin"])
    made = client.post(
        "/subscriptions",
        json={"channel": "webhook", "url": "http://127.0.0.1:9/hook"},
        headers=admin,
    )
    assert made.status_code == 201, made.json
    sid = made.json["id"]
    tracked = Tracked(services)
    tracked.milestone(services.clock.today() - timedelta(days=3))
    project_read_models(services)
    OverdueScanner(services).scan()

    assert Notifier(services).run() == {"recorded": 1, "enqueued": 0}
    [delivery] = client.get(f"/subscriptions/{sid}/deliveries", headers=admin).json["deliveries"]
    assert delivery["status"] == "pending"
    again = client.post(
        f"/subscriptions/{sid}/deliveries/{delivery['id']}/redeliver", headers=admin
    )
    assert again.status_code == 202, again.json
    # Claimed for the lease, then due again for the next notifier run.
    services.clock.advance(timedelta(seconds=QUEUED_LEASE_SECONDS + 1))
    assert delivery_log(services).due() == [delivery["id"]]
