"""The subscription admin API: creation rules, the secret shown once, the delivery log
and redelivery over HTTP, with a real receiver and an in-process RQ worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from service.alerts.notifier import delivery_log
from service.alerts.scan import OverdueScanner
from service.api.app import create_app
from service.bootstrap import Services
from tests.alerting import Tracked, overdue_alert, project_read_models, wired, work_until
from tests.conftest import bearer
from tests.integration.webhook_receiver import Receiver
from workers import runtime
from workers.notify import notify


@pytest.fixture
def permissive(services: Services) -> Iterator[FlaskClient]:
    """An API whose administrator allows private webhook targets (the local receiver)."""
    rewired = wired(services, webhook_allow_private=True, delivery_retry_intervals=(1,))
    yield create_app(services=rewired).test_client()
    runtime.install(None)


def test_only_admins_manage_subscriptions_and_bad_input_is_refused(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["admin"])
    body = {"channel": "email", "address": "oversight@example.org"}
    assert (
        client.post("/subscriptions", json=body, headers=bearer(tokens["overseer"])).status_code
        == 403
    )
    assert client.get("/subscriptions", headers=bearer(tokens["viewer"])).status_code == 403

    for bad in (
        {"channel": "webhook"},
        {"channel": "email", "url": "https://example.org/hook", "address": "a@example.org"},
        {"channel": "sms", "address": "a@example.org"},
        {**body, "severities": ["urgent"]},
        {**body, "colour": "red"},
    ):
        refused = client.post("/subscriptions", json=bad, headers=admin)
        assert refused.status_code == 422, bad
        assert refused.headers["Content-Type"] == "application/problem+json"

    private = client.post(
        "/subscriptions",
        json={"channel": "webhook", "url": "http://127.0.0.1:8080/hook"},
        headers=admin,
    )
    assert private.status_code == 422
    assert "not a public address" in private.json["errors"]["url"][0]
    assert "RT_WEBHOOK_ALLOW_PRIVATE" in private.json["errors"]["url"][0]
    nat64 = client.post(
        "/subscriptions",
        json={"channel": "webhook", "url": "http://[64:ff9b::a9fe:a9fe]/latest/meta-data"},
        headers=admin,
    )
    assert nat64.status_code == 422
    assert nat64.headers["Content-Type"] == "application/problem+json"
    assert "NAT64 form of 169.254.169.254" in nat64.json["errors"]["url"][0]
    assert "RT_WEBHOOK_ALLOW_PRIVATE" in nat64.json["errors"]["url"][0]
    assert client.get("/subscriptions", headers=admin).json == []

    made = client.post(
        "/subscriptions", json={**body, "digest": True, "severities": ["high"]}, headers=admin
    )
    assert made.status_code == 201 and made.json["secret"] is None
    assert made.json["severities"] == ["high"] and made.json["digest"] is True


def test_secret_once_delivery_log_redelivery_and_delete(
    permissive: FlaskClient, services: Services, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["admin"])
    with Receiver(statuses=(500, 200)) as receiver:
        made = permissive.post(
            "/subscriptions", json={"channel": "webhook", "url": receiver.url}, headers=admin
        )
        assert made.status_code == 201
        receiver.secret = made.json["secret"]
        assert receiver.secret.startswith("whsec_")
        sid = made.json["id"]
        assert "secret" not in permissive.get(f"/subscriptions/{sid}", headers=admin).json
        assert all("secret" not in s for s in permissive.get("/subscriptions", headers=admin).json)

        overdue_alert(runtime.services())
        notify()
        log_path = f"/subscriptions/{sid}/deliveries"

        def delivered() -> bool:
            found = permissive.get(log_path, headers=admin).json["deliveries"]
            return bool(found) and found[0]["status"] == "delivered"

        work_until(runtime.services(), delivered)
        [delivery] = permissive.get(log_path, headers=admin).json["deliveries"]
        assert [a["result"] for a in delivery["attempt_log"]] == ["retry", "delivered"]

        again = permissive.post(f"{log_path}/{delivery['id']}/redeliver", headers=admin)
        assert again.status_code == 202 and again.json["status"] == "pending"
        work_until(runtime.services(), delivered)
        [delivery] = permissive.get(log_path, headers=admin).json["deliveries"]
        assert delivery["attempts"] == 3
        assert len(receiver.unique_deliveries()) == 1 and len(receiver.received) == 3

    assert permissive.delete(f"/subscriptions/{sid}", headers=admin).status_code == 204
    assert permissive.get(f"/subscriptions/{sid}", headers=admin).status_code == 404
    assert permissive.get(log_path, headers=admin).status_code == 404


def test_a_new_webhook_hears_at_once_of_the_alerts_already_open_in_its_scope(
    permissive: FlaskClient, services: Services, tokens: dict[str, str]
) -> None:
    alerting = runtime.services()
    watched, elsewhere = Tracked(alerting), Tracked(alerting)
    today = alerting.clock.today()
    late = watched.milestone(today - timedelta(days=5), title="Body cameras")
    watched.milestone(today - timedelta(days=2), title="Video surveillance")
    elsewhere.milestone(today - timedelta(days=9), title="Online consultation")
    project_read_models(alerting)
    OverdueScanner(alerting).scan()
    notify()  # nobody subscribed yet: the notifier moves past these events
    acknowledged = next(
        a
        for a in alerting.alerts.open_alerts(programme_id=watched.programme_id)
        if a["milestone_id"] == late
    )
    alerting.alerts.acknowledge(watched.overseer, acknowledged["alert_id"], "on it")
    notify()

    admin = bearer(tokens["admin"])
    with Receiver() as receiver:
        made = permissive.post(
            "/subscriptions",
            json={"channel": "webhook", "url": receiver.url, "programme_id": watched.programme_id},
            headers=admin,
        )
        assert made.status_code == 201
        receiver.secret = made.json["secret"]
        sid = made.json["id"]
        assert len(delivery_log(alerting).page(sid, None, 10)[0]) == 2  # recorded at once
        work_until(alerting, lambda: len(receiver.received) >= 2)
        assert notify()["recorded"] == 0  # a later run records nothing again for them

    assert all(r.verified for r in receiver.received)
    told = {r.payload["data"]["milestone_title"]: r.payload for r in receiver.received}
    assert sorted(told) == ["Body cameras", "Video surveillance"]  # not the other programme
    assert all(p["data"]["already_open"] is True for p in told.values())
    assert told["Body cameras"]["type"] == "alert.acknowledged"
    assert told["Body cameras"]["data"]["state"] == "acknowledged"
    assert told["Video surveillance"]["type"] == "alert.raised"
    assert len(receiver.received) == 2


def test_a_subscription_racing_the_notifier_gets_each_event_once(
    permissive: FlaskClient, services: Services, tokens: dict[str, str]
) -> None:
    overdue_alert(runtime.services())  # raised; the notifier has not run yet
    admin = bearer(tokens["admin"])
    with Receiver() as receiver:
        made = permissive.post(
            "/subscriptions", json={"channel": "webhook", "url": receiver.url}, headers=admin
        )
        receiver.secret = made.json["secret"]
        # The fan-out reaches the same event for the new subscription: one delivery.
        assert notify()["recorded"] == 1
        [delivery] = delivery_log(runtime.services()).page(made.json["id"], None, 10)[0]
        work_until(runtime.services(), lambda: len(receiver.received) >= 1)
    assert delivery.events[0]["already_open"] is True
    [received] = receiver.received
    assert received.verified and received.payload["data"]["already_open"] is True
