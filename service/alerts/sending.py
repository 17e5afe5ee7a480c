"""Sending: one attempt at a webhook or an e-mail, and the daily e-mail digest.

A transient failure (5xx, 408, 429, timeout, refused connection, SMTP 4xx) raises, so
RQ's Retry schedules the next attempt after the configured interval; anything else is
final. The webhook body is rebuilt from the immutable event on every attempt, so it is
byte-for-byte the same each time, and webhook-id (the event id) lets receivers dedupe.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage

from service.alerts import mailer, webhooks
from service.alerts.deliveries import DELIVERED, FAILED, FINISHED, RETRYING, Delivery, Outcome
from service.alerts.domain import alerts as al
from service.alerts.notifier import Notifier, delivery_log, digest_key, subscription_store
from service.alerts.subscriptions import EMAIL, WEBHOOK, Subscription
from service.alerts.system import SYSTEM, SystemAlert, SystemAlerts
from service.ledger.domain.chain import canonical
from service.ledger.domain.errors import NotFound
from service.ledger.infrastructure import Infrastructure
from service.runtime.connection import owner, rerouted
from service.runtime.secretbox import SecretsKeyError
from service.tracking.domain import events as ev
from service.tracking.tracker import Tracker

LEASE_MARGIN_SECONDS = 60


class DeliveryFailed(Exception):
    """Raised so that RQ retries the job; the attempt is already in the delivery log."""


def load_event(services: Infrastructure, ref: dict) -> tuple[dict, al.Alert]:
    records = services.store.read_stream(ref["stream"], limit=ref["version"])
    alert = al.fold(ev.from_payload(r.type, r.payload) for r in records)
    assert alert is not None, f"{ref['stream']} has no AlertRaised"
    return records[-1].to_dict(), alert


def webhook_body(services: Infrastructure, ref: dict) -> str:
    record, alert = load_event(services, ref)
    on = date.fromisoformat(record["recorded_at"][:10])
    data = {
        "alert_id": alert.alert_id,
        "event_id": record["id"],
        "event_type": record["type"],
        "position": record["position"],
        "state": alert.state,
        "condition": alert.condition,
        "severity": alert.severity,
        "level": alert.level,
        "due_date": alert.due_date.isoformat(),
        "days_overdue": alert.days_overdue(on),
        "milestone_id": alert.milestone_id,
        "milestone_title": alert.milestone_title,
        "milestone_url": f"{services.config.base_url.rstrip('/')}/ui/milestones/"
        f"{alert.milestone_id}",
        "initiative_id": alert.initiative_id,
        "programme_id": alert.programme_id,
        "owner_agency": alert.owner_agency,
        # True when told on subscribing, of an alert that was open before it.
        "already_open": bool(ref.get("already_open")),
        "details": record["payload"],
    }
    kind = "alert." + record["type"].removeprefix("Alert").lower()
    return canonical({"type": kind, "timestamp": record["recorded_at"], "data": data}).decode()


def notice(services: Infrastructure, ref: dict) -> mailer.AlertNotice:
    record, alert = load_event(services, ref)
    try:
        initiative = Tracker(services.store).load("initiative", alert.initiative_id).state.title
    except NotFound:
        initiative = alert.initiative_id
    on = date.fromisoformat(record["recorded_at"][:10])
    return mailer.AlertNotice(
        record["type"], alert, initiative, on, already_open=bool(ref.get("already_open"))
    )


def system_body(alert: SystemAlert) -> str:
    data = {"alert_id": alert.id, "summary": alert.summary, **alert.details}
    return canonical(
        {"type": alert.webhook_type(), "timestamp": alert.raised_at, "data": data}
    ).decode()


def system_message(
    services: Infrastructure, to: str, alert: SystemAlert, language: str
) -> EmailMessage:
    config = services.config
    subject = f"[Reform Tracker] {alert.said(language).split(':')[0]}"
    body = "\n".join(alert.lines(config.base_url, language)) + "\n"
    return mailer.plain_message(config.smtp_from, to, subject, body, services.clock.now())


def attempt(services: Infrastructure, subscription: Subscription, delivery: Delivery) -> Outcome:
    config = services.config
    system = (
        SystemAlerts(services).get(delivery.events[0]["id"]) if delivery.kind == SYSTEM else None
    )
    if subscription.channel == WEBHOOK:
        ref = delivery.events[0]
        try:
            secrets = subscription_store(services).signing_secrets(subscription)
        except SecretsKeyError as error:
            # A deployment whose key is missing or wrong: retried, so that fixing the
            # key (or rotating the secret) within the retry intervals still delivers.
            return Outcome("retry", error=f"not signed: {error}")
        return webhooks.post(
            subscription.url or "",
            secrets,
            ref["id"],
            system_body(system) if system else webhook_body(services, ref),
            timeout=config.webhook_timeout_seconds,
            allow_private=config.webhook_allow_private,
        )
    to = subscription.address or ""
    if system:
        message = system_message(services, to, system, subscription.language)
    elif delivery.kind == "digest":
        notices = [notice(services, ref) for ref in delivery.events]
        message = mailer.digest_message(
            config, to, notices, services.clock.now(), subscription.language
        )
    else:
        first = notice(services, delivery.events[0])
        message = mailer.alert_message(
            config, to, first, services.clock.now(), subscription.language
        )
    return mailer.send(mailer.Smtp.of(config), message)


@dataclass(frozen=True)
class Retry:
    """What the job runner says about retrying this attempt."""

    retries_left: int
    interval: int  # seconds until the next attempt


def deliver(services: Infrastructure, delivery_id: str, retry: Retry | None) -> str:
    """One attempt at one delivery, recorded in the delivery log; raises DeliveryFailed
    when the job runner should try again."""
    log = delivery_log(services)
    subscriptions = subscription_store(services)
    delivery = log.get(delivery_id)
    if delivery is None or delivery.status in FINISHED:
        return "nothing to do"
    subscription = subscriptions.get(delivery.subscription_id)
    if subscription is None or subscription.disabled:
        return log.skip(delivery, "the subscription was deleted or disabled").status
    lease = services.config.webhook_timeout_seconds + LEASE_MARGIN_SECONDS
    delivery = log.start_attempt(delivery, lease)
    outcome = attempt(services, subscription, delivery)
    if outcome.result == "delivered":
        return log.record(delivery, outcome, DELIVERED).status
    if outcome.result == "gone":
        subscriptions.disable(subscription.id, "the receiver answered 410 Gone")
    if outcome.result == "retry" and retry is not None and retry.retries_left:
        log.record(delivery, outcome, RETRYING, recheck_in=retry.interval + lease)
        raise DeliveryFailed(outcome.error or "transient failure")
    return log.record(delivery, outcome, FAILED).status


def send_digests(services: Infrastructure) -> dict[str, int]:
    """One e-mail per digest subscription with the events gathered since the last."""
    notifier = Notifier(services)
    created = 0
    for subscription in subscription_store(services).list():
        if subscription.channel != EMAIL or not subscription.digest or subscription.disabled:
            continue
        key = digest_key(services, subscription.id)
        members = services.redis.zrange(key, 0, -1)
        if not members:
            continue
        refs = [json.loads(str(member)) for member in members]
        batch = ",".join(ref["id"] for ref in refs)
        with (
            rerouted(services.redis),
            owner(services.redis, services.keys.log).pipeline(transaction=True) as pipe,
        ):
            notifier.deliveries.add(
                pipe,
                Delivery(
                    id=str(uuid.uuid5(al.NAMESPACE, f"digest:{subscription.id}:{batch}")),
                    subscription_id=subscription.id,
                    channel=EMAIL,
                    kind="digest",
                    events=refs,
                    created_at=services.clock.now().isoformat(),
                    seq=notifier.deliveries.next_seq(),
                ),
            )
            pipe.zrem(key, *members)
            pipe.execute()
        created += 1
    return {"digests": created, "enqueued": notifier.enqueue_due()}
