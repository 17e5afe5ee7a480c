"""The subscription admin API: creation rules, the secret shown once, the delivery log
and redelivery over HTTP, with a real receiver and an in-process RQ worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from service.api.app import create_app
from service.bootstrap import Services
from tests.alerting import overdue_alert, wired, work_until
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
