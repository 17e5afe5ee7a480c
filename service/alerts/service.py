"""Application service for alerts: the feed, acknowledgement, subscriptions, deliveries.

Writes take the same path as milestone commands: load the alert, authorize, decide,
append with the stream version expected, and decide again on the new state if another
writer (the scan escalating or resolving it) got there first. Reads never write: the
feed is brought up to date by whoever appends alert events (the scan, an
acknowledgement here) and by the worker's projector run, never by a GET.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import redis

from service.access import policy
from service.access.policy import TokenRecord
from service.alerts.deliveries import Delivery
from service.alerts.domain import alerts as al
from service.alerts.domain import rules
from service.alerts.feed import AlertFeed
from service.alerts.notifier import Notifier, delivery_log, subscription_store, wake_notifier
from service.alerts.subscriptions import Issued, Subscription
from service.ledger.domain.chain import Actor, RecordedEvent
from service.ledger.domain.errors import NotFound
from service.ledger.eventstore import Idempotency, VersionConflict
from service.ledger.infrastructure import Infrastructure
from service.tracking.domain import events as ev

RETRIES = 5


def with_days_overdue(doc: dict[str, Any], today: date) -> dict[str, Any]:
    due = date.fromisoformat(doc["due_date"])
    active = doc["state"] != al.RESOLVED
    return {**doc, "days_overdue": max(0, (today - due).days) if active else 0}


class AlertDesk:
    def __init__(self, infrastructure: Infrastructure) -> None:
        self.infrastructure = infrastructure
        self.store = infrastructure.store
        self.feed = AlertFeed(infrastructure.store)

    # --- the feed (reads) ----------------------------------------------------------

    def page(
        self, filters: dict[str, str], before: int | None, limit: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        docs, cursor = self.feed.page(filters, before, limit)
        today = self.infrastructure.clock.today()
        return [with_days_overdue(doc, today) for doc in docs], cursor

    def alert(self, alert_id: str) -> dict[str, Any]:
        doc = self.feed.get(alert_id)
        if doc is None:
            raise NotFound(f"alert {alert_id}", "alert", alert_id)
        return with_days_overdue(doc, self.infrastructure.clock.today())

    def open_alerts(self, **scope: str) -> list[dict[str, Any]]:
        """Unresolved alerts whose fields match ``scope`` (e.g. programme_id=...)."""
        today = self.infrastructure.clock.today()
        return [
            with_days_overdue(doc, today)
            for doc in self.feed.active()  # the feed's active set holds no resolved alert
            if all(doc.get(k) == v for k, v in scope.items())
        ]

    def history(self, alert_id: str) -> list[RecordedEvent]:
        """The alert's own events: raised, escalated, re-notified, acknowledged, resolved."""
        records = self.store.read_stream(al.stream_of(alert_id))
        if not records:
            raise NotFound(f"alert {alert_id}", "alert", alert_id)
        return records

    def alert_deliveries(self, alert_id: str) -> list[Delivery]:
        """What was sent about this alert, to which subscription, and how it went."""
        return delivery_log(self.infrastructure).for_alert(al.stream_of(alert_id))

    # --- acknowledgement (a write) -------------------------------------------------

    def acknowledge(
        self,
        token: TokenRecord,
        alert_id: str,
        note: str,
        *,
        idempotency: Idempotency | None = None,
        correlation_id: str | None = None,
    ) -> dict[str, Any]:
        """Acknowledge an open alert: escalation stops. Refused (409) unless it is open."""
        stream = al.stream_of(alert_id)
        for _attempt in range(RETRIES):
            records = self.store.read_stream(stream)
            alert = al.fold(ev.from_payload(r.type, r.payload) for r in records)
            if alert is None:
                raise NotFound(f"alert {alert_id}", "alert", alert_id)
            policy.authorize(token, policy.ALERT_ACKNOWLEDGE, alert.owner_agency)
            if idempotency and self.store.idempotent_replay(idempotency):
                break
            decided = rules.acknowledge(alert, note, self.infrastructure.clock.now())
            try:
                self.store.append(
                    stream,
                    decided,
                    expected_version=records[-1].version,
                    idempotency=idempotency,
                    actor=Actor(token_id=token.id, role=token.role, agency=token.agency),
                    correlation_id=correlation_id,
                )
            except VersionConflict:
                continue  # the scan escalated or resolved it meanwhile: decide again
            wake_notifier(self.infrastructure)
            break
        else:
            raise VersionConflict(stream, -1, -1)
        self.feed.sync()
        return self.alert(alert_id)

    # --- subscriptions and deliveries (administrators) -----------------------------

    def subscriptions(self, actor: TokenRecord) -> list[Subscription]:
        policy.authorize(actor, policy.ADMINISTER)
        return subscription_store(self.infrastructure).list()

    def subscription(self, actor: TokenRecord, subscription_id: str) -> Subscription:
        policy.authorize(actor, policy.ADMINISTER)
        found = subscription_store(self.infrastructure).get(subscription_id)
        if found is None:
            raise NotFound(f"subscription {subscription_id}")
        return found

    def subscribe(self, actor: TokenRecord, channel: str, **fields: Any) -> Issued:
        """A new subscription, with a webhook's signing secret in the clear, shown once.
        It is told at once of the alerts already open in its scope, marked as such."""
        policy.authorize(actor, policy.ADMINISTER)
        issued = subscription_store(self.infrastructure).create(channel, **fields)
        if Notifier(self.infrastructure).welcome(issued.subscription):
            wake_notifier(self.infrastructure)
        return issued

    def rotate_secret(
        self, actor: TokenRecord, subscription_id: str, grace_seconds: int | None = None
    ) -> Issued:
        """A new signing secret, shown once; the old one signs beside it for the grace
        period (RT_WEBHOOK_SECRET_GRACE_SECONDS unless given; 0 revokes it at once)."""
        policy.authorize(actor, policy.ADMINISTER)
        if grace_seconds is None:
            grace_seconds = self.infrastructure.config.webhook_secret_grace_seconds
        rotated = subscription_store(self.infrastructure).rotate(
            subscription_id, timedelta(seconds=grace_seconds)
        )
        if rotated is None:
            raise NotFound(f"subscription {subscription_id}")
        return rotated

    def reseal_secrets(self) -> tuple[int, bool]:
        """For the operator (the command line): seal secrets stored in the clear by an
        earlier version, and reseal the others with the newest key. Returns how many
        subscriptions changed and whether Redis started rewriting its AOF, which still
        holds the earlier values until it is rewritten."""
        changed = subscription_store(self.infrastructure).reseal()
        if not changed:
            return 0, False
        try:
            self.infrastructure.redis.bgrewriteaof()
        except redis.ResponseError:
            return changed, False  # a rewrite already running, or a managed Redis refusing
        return changed, True

    def unsubscribe(self, actor: TokenRecord, subscription_id: str) -> None:
        policy.authorize(actor, policy.ADMINISTER)
        if not subscription_store(self.infrastructure).delete(subscription_id):
            raise NotFound(f"subscription {subscription_id}")

    def deliveries(
        self, actor: TokenRecord, subscription_id: str, before: int | None, limit: int
    ) -> tuple[list[Delivery], int | None]:
        self.subscription(actor, subscription_id)
        return delivery_log(self.infrastructure).page(subscription_id, before, limit)

    def redeliver(self, actor: TokenRecord, subscription_id: str, delivery_id: str) -> Delivery:
        """Send a delivery again (same webhook-id, so receivers can dedupe)."""
        self.subscription(actor, subscription_id)
        log = delivery_log(self.infrastructure)
        delivery = log.get(delivery_id)
        if delivery is None or delivery.subscription_id != subscription_id:
            raise NotFound(f"delivery {delivery_id}")
        again = log.redeliver(delivery)
        Notifier(self.infrastructure).enqueue_due()
        return again
