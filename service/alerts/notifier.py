"""The notifier: turns alert events in the log into deliveries, and hands them to workers.

It follows the global log from its own checkpoint. For each alert event and each
subscription that matches the alert (at the level it has reached), it records a
delivery — or, for daily-digest e-mail, remembers the event for the digest — and moves
the checkpoint, all in one transaction. Then every delivery in the outbox that nobody is
working on is enqueued, which also resends what a dead worker left behind.

A new subscription is told at once of the alerts already open in its scope (``welcome``):
the latest event of each, marked ``already_open``, under the same delivery id the
fan-out would give it, so a subscription racing the fan-out still gets each event once.
"""

from __future__ import annotations

import json
import logging
import uuid
from functools import partial
from typing import Any

import redis
from rq import Retry

from service.alerts.deliveries import PENDING, SENDING, Delivery, DeliveryLog, Outcome
from service.alerts.domain import alerts as al
from service.alerts.feed import AlertFeed
from service.alerts.follower import Writes, follow_alert_events
from service.alerts.subscriptions import EMAIL, Subscription, SubscriptionStore
from service.ledger.domain.chain import RecordedEvent
from service.ledger.infrastructure import Infrastructure
from service.runtime.secretbox import SecretBox
from service.tracking.domain import events as ev

# E-mail is for events that ask someone to act; webhooks receive every alert event.
NEEDS_ACTION = frozenset({"AlertRaised", "AlertEscalated", "AlertRenotified"})
QUEUED_LEASE_SECONDS = 300  # a queued delivery not started by then is enqueued again
WAKE_FLAG_SECONDS = 60
INTERRUPTED = "no outcome: the worker stopped during the attempt"
DELIVER_JOB = "workers.delivery.deliver"
NOTIFY_JOB = "workers.notify.notify"
log = logging.getLogger("reform_tracker.alerts")


def delivery_log(services: Infrastructure) -> DeliveryLog:
    return DeliveryLog(services.redis, services.keys, services.clock)


def subscription_store(services: Infrastructure) -> SubscriptionStore:
    return SubscriptionStore(
        services.redis,
        services.keys,
        services.clock,
        services.config.webhook_allow_private,
        box=partial(SecretBox.from_config, services.config),
    )


def digest_key(services: Infrastructure, subscription_id: str) -> str:
    return services.keys.admin(f"subscription:{subscription_id}:digest")


def event_ref(record: RecordedEvent, already_open: bool = False) -> dict[str, Any]:
    ref: dict[str, Any] = {
        "id": record.id,
        "stream": record.stream,
        "version": record.version,
        "type": record.type,
    }
    if already_open:  # told on subscribing, not as it happened
        ref["already_open"] = True
    return ref


class Notifier:
    def __init__(self, services: Infrastructure) -> None:
        self.services = services
        self.redis: redis.Redis = services.redis
        self.checkpoint_key = services.keys.admin("notify:checkpoint")
        self.deliveries = delivery_log(services)
        self.subscriptions = subscription_store(services)

    def run(self) -> dict[str, int]:
        """One notifier run: fan out new alert events, enqueue due deliveries."""
        self.redis.delete(self.services.keys.admin("notify:wake"))
        return {"recorded": self.fan_out(), "enqueued": self.enqueue_due()}

    def fan_out(self) -> int:
        """Record deliveries for alert events since the checkpoint; returns how many."""

        def prepare(records: list[RecordedEvent]) -> tuple[Writes, int]:
            plans = self._plan(records)

            def write(pipe: Any) -> None:
                for record, subscription in plans:
                    self._add(pipe, record, subscription)

            return write, len(plans)

        return follow_alert_events(self.services.store, self.checkpoint_key, prepare)

    def _plan(self, records: list[RecordedEvent]) -> list[tuple[RecordedEvent, Subscription]]:
        subscriptions = self.subscriptions.list()
        streams: dict[str, list[ev.DomainEvent]] = {}
        plans = []
        for record in records:
            if record.stream not in streams:
                streams[record.stream] = [
                    ev.from_payload(r.type, r.payload)
                    for r in self.services.store.read_stream(record.stream)
                ]
            alert = al.fold(streams[record.stream][: record.version])
            for subscription in subscriptions:
                by_email = subscription.channel == EMAIL
                if (
                    alert
                    and subscription.matches(alert)
                    and (not by_email or record.type in NEEDS_ACTION)
                ):
                    plans.append((record, subscription))
        return plans

    def welcome(self, subscription: Subscription) -> int:
        """Record a delivery of every alert already open in the scope of a new
        subscription: its latest event, marked already_open. E-mail, which asks someone
        to act, only hears of alerts nobody has acknowledged yet. Returns how many."""
        feed = AlertFeed(self.services.store)
        feed.sync()  # alert events appended before the subscription existed are in the feed
        latest = []
        for doc in feed.active():
            records = self.services.store.read_stream(al.stream_of(doc["alert_id"]))
            alert = al.fold(ev.from_payload(r.type, r.payload) for r in records)
            if alert is None or not alert.active or not subscription.matches(alert):
                continue
            if subscription.channel == EMAIL and alert.state != al.OPEN:
                continue
            latest.append(records[-1])
        with self.redis.pipeline(transaction=True) as pipe:
            for record in latest:
                self._add(pipe, record, subscription, already_open=True)
            pipe.execute()
        return len(latest)

    def _add(
        self,
        pipe: Any,
        record: RecordedEvent,
        subscription: Subscription,
        already_open: bool = False,
    ) -> None:
        if subscription.channel == EMAIL and subscription.digest:
            member = json.dumps(event_ref(record, already_open), sort_keys=True)
            pipe.zadd(digest_key(self.services, subscription.id), {member: record.position})
            return
        self.deliveries.add(
            pipe,
            Delivery(
                id=str(uuid.uuid5(al.NAMESPACE, f"{record.id}:{subscription.id}")),
                subscription_id=subscription.id,
                channel=subscription.channel,
                kind="event",
                events=[event_ref(record, already_open)],
                created_at=record.recorded_at,
                seq=self.deliveries.next_seq(),
            ),
        )

    def enqueue_due(self) -> int:
        """Give every delivery nobody is working on to the workers. One that cannot be
        queued (a queue Redis apart from the log's, down) stays claimed in the outbox
        until its lease runs out, and a later run queues it."""
        intervals = list(self.services.config.delivery_retry_intervals)
        retry = Retry(max=len(intervals), interval=intervals) if intervals else None
        due = self.deliveries.due()
        for queued, delivery_id in enumerate(due):
            found = self.deliveries.get(delivery_id)
            if found and found.status == SENDING:
                # Its lease ran out: the worker died mid-attempt. Say so in the log.
                self.deliveries.record(
                    found,
                    Outcome("interrupted", error=INTERRUPTED),
                    PENDING,
                    recheck_in=QUEUED_LEASE_SECONDS,
                )
            self.deliveries.claim(delivery_id, QUEUED_LEASE_SECONDS)
            try:
                self.services.jobs.enqueue(
                    DELIVER_JOB,
                    delivery_id,
                    retry=retry,
                    job_timeout=int(self.services.config.webhook_timeout_seconds) + 60,
                )
            except redis.RedisError as error:
                log.warning("deliveries not queued: %s", error)
                return queued
        return len(due)


def wake_notifier(services: Infrastructure) -> None:
    """Enqueue a notifier run unless one is already waiting (wake-ups coalesce). A queue
    Redis apart from the log's (RT_QUEUE_REDIS_URL) may be down while the log is not: the
    alert events are appended by then, and the notifier's periodic run finds them."""
    if services.redis.set(services.keys.admin("notify:wake"), "1", nx=True, ex=WAKE_FLAG_SECONDS):
        try:
            services.jobs.enqueue(NOTIFY_JOB)
        except redis.RedisError as error:
            log.warning("notifier wake-up not queued: %s", error)
