"""Webhook delivery end to end: real redis-server, real RQ worker (burst, with RQ's
scheduler for retries), a real HTTP receiver verifying Standard Webhooks signatures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.alerts.deliveries import Delivery
from service.alerts.notifier import delivery_log, subscription_store
from service.alerts.subscriptions import Subscription
from service.bootstrap import Services
from service.ledger.domain.errors import InvalidValue
from tests.alerting import overdue_alert, wired, work_until
from tests.integration.webhook_receiver import Receiver
from workers import runtime
from workers.delivery import deliver
from workers.notify import notify


@pytest.fixture
def alerting(services: Services) -> Iterator[Services]:
    yield wired(services, webhook_allow_private=True, delivery_retry_intervals=(1, 1, 1))
    runtime.install(None)


def subscribe(services: Services, receiver: Receiver) -> Subscription:
    issued = subscription_store(services).create("webhook", url=receiver.url)
    assert issued.secret and issued.secret.startswith("whsec_")
    receiver.secret = issued.secret
    return issued.subscription


def deliveries(services: Services, subscription: Subscription) -> list[Delivery]:
    return delivery_log(services).page(subscription.id, None, 50)[0]


def settle(services: Services, subscription: Subscription) -> list[Delivery]:
    """Fan out, then work until every delivery of ``subscription`` is finished."""
    notify()
    work_until(
        services,
        lambda: all(
            d.status in ("delivered", "failed", "skipped")
            for d in deliveries(services, subscription)
        ),
    )
    return deliveries(services, subscription)


def test_alert_arrives_signed_with_the_event_id_as_webhook_id(alerting: Services) -> None:
    with Receiver() as receiver:
        subscription = subscribe(alerting, receiver)
        _tracked, milestone = overdue_alert(alerting, days=3)
        [delivery] = settle(alerting, subscription)

    raised = next(e for e in alerting.store.iter_log() if e.type == "AlertRaised")
    [got] = receiver.received
    assert got.verified and got.webhook_id == raised.id
    assert got.payload["type"] == "alert.raised"
    data = got.payload["data"]
    assert (data["milestone_id"], data["days_overdue"], data["severity"]) == (milestone, 3, "high")
    assert data["milestone_url"].endswith(f"/ui/milestones/{milestone}")
    assert (delivery.status, delivery.attempts, len(delivery.attempt_log)) == ("delivered", 1, 1)


def test_two_failures_then_success_is_one_delivery_with_three_attempts(
    alerting: Services,
) -> None:
    with Receiver(statuses=(500, 503, 200)) as receiver:
        subscription = subscribe(alerting, receiver)
        overdue_alert(alerting)
        [delivery] = settle(alerting, subscription)

    assert delivery.status == "delivered"
    assert [(a["result"], a["status_code"]) for a in delivery.attempt_log] == [
        ("retry", 500),
        ("retry", 503),
        ("delivered", 200),
    ]
    assert len(receiver.received) == 3 and all(r.verified for r in receiver.received)
    assert len({r.webhook_id for r in receiver.received}) == 1


def test_gone_disables_the_subscription_and_other_4xx_is_not_retried(
    alerting: Services,
) -> None:
    with Receiver(statuses=(410,)) as gone, Receiver(statuses=(400,)) as bad:
        to_gone, to_bad = subscribe(alerting, gone), subscribe(alerting, bad)
        overdue_alert(alerting)
        [gone_delivery] = settle(alerting, to_gone)
        [bad_delivery] = settle(alerting, to_bad)

    assert (gone_delivery.status, gone_delivery.attempts) == ("failed", 1)
    disabled = subscription_store(alerting).get(to_gone.id)
    assert disabled is not None and disabled.disabled
    assert "410" in (disabled.disabled_reason or "")
    assert (bad_delivery.status, bad_delivery.attempts) == ("failed", 1)
    assert not subscription_store(alerting).get(to_bad.id).disabled  # type: ignore[union-attr]
    assert len(gone.received) == len(bad.received) == 1


def test_internal_targets_are_refused_at_creation_and_at_delivery(
    alerting: Services, services: Services
) -> None:
    strict = subscription_store(services)  # the default: private targets not allowed
    for url in (
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/",
    ):
        with pytest.raises(InvalidValue, match="not a public address"):
            strict.create("webhook", url=url)

    with Receiver() as receiver:
        # Allowed when created; the admin setting is withdrawn before delivery, as a DNS
        # record re-pointed at an internal address would be caught at delivery time.
        subscription = subscribe(alerting, receiver)
        overdue_alert(alerting)
        notify()
        wired(alerting, webhook_allow_private=False)
        [delivery] = deliveries(alerting, subscription)
        deliver(delivery.id)

    [refused] = deliveries(alerting, subscription)
    assert refused.status == "failed" and "not a public address" in (refused.last_error or "")
    assert receiver.received == []


def test_redelivery_resends_with_the_same_webhook_id(alerting: Services) -> None:
    with Receiver() as receiver:
        subscription = subscribe(alerting, receiver)
        overdue_alert(alerting)
        [first] = settle(alerting, subscription)
        delivery_log(alerting).redeliver(first)
        [again] = settle(alerting, subscription)

    assert again.status == "delivered" and again.attempts == 2
    assert len(receiver.received) == 2
    assert len(receiver.unique_deliveries()) == 1


def test_nat64_form_of_the_metadata_address_is_refused_at_delivery(alerting: Services) -> None:
    # Created while an administrator allowed private targets; refused once that is off,
    # before any connection is tried (the NAT64 gateway would reach 169.254.169.254).
    subscription = (
        subscription_store(alerting)
        .create("webhook", url="http://[64:ff9b::a9fe:a9fe]/latest/meta-data")
        .subscription
    )
    overdue_alert(alerting)
    notify()
    wired(alerting, webhook_allow_private=False)
    [delivery] = deliveries(alerting, subscription)
    deliver(delivery.id)

    [refused] = deliveries(alerting, subscription)
    assert refused.status == "failed" and refused.attempts == 1
    assert "NAT64 form of 169.254.169.254" in (refused.last_error or "")
    assert "RT_WEBHOOK_ALLOW_PRIVATE" in (refused.last_error or "")
