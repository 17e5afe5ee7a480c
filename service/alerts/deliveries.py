"""The delivery log: one record per (alert event, subscription), every attempt kept.

The outbox (a sorted set: delivery id -> when to look at it again) is what makes delivery
at-least-once. A delivery leaves it only when it is finished; a worker that dies
mid-attempt leaves its lease to expire, and the next notifier run sends it again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import redis

from service.ledger.keys import Keys
from service.runtime.clock import Clock, isoformat
from service.runtime.connection import owner, rerouted

PENDING, SENDING, RETRYING = "pending", "sending", "retrying"
DELIVERED, FAILED, SKIPPED = "delivered", "failed", "skipped"
FINISHED = frozenset({DELIVERED, FAILED, SKIPPED})


@dataclass(frozen=True)
class Outcome:
    """How one attempt ended: delivered, retry (transient), failed (permanent) or gone."""

    result: str
    status_code: int | None = None
    error: str | None = None
    duration_ms: float = 0.0


@dataclass(frozen=True)
class Delivery:
    id: str
    subscription_id: str
    channel: str
    kind: str  # "event", or "digest" for a daily e-mail of several events
    events: list[dict[str, Any]]  # [{id, stream, version, type}]
    created_at: str
    seq: int = 0
    status: str = PENDING
    attempts: int = 0
    updated_at: str = ""
    last_error: str | None = None
    last_status_code: int | None = None
    attempt_log: list[dict[str, Any]] = field(default_factory=list)


class DeliveryLog:
    def __init__(self, client: redis.Redis, keys: Keys, clock: Clock) -> None:
        self.redis = client
        self.keys = keys
        self.clock = clock
        self.outbox_key = keys.admin("outbox")

    def _key(self, delivery_id: str) -> str:
        return self.keys.admin(f"delivery:{delivery_id}")

    def index_key(self, subscription_id: str) -> str:
        return self.keys.admin(f"subscription:{subscription_id}:deliveries")

    def alert_index_key(self, alert_stream: str) -> str:
        return self.keys.admin(f"{alert_stream}:deliveries")

    def now(self) -> float:
        return self.clock.now().timestamp()

    def add(self, pipe: Any, delivery: Delivery) -> None:
        """Queue the writes for a new delivery on ``pipe`` (the caller's transaction)."""
        pipe.set(self._key(delivery.id), json.dumps(asdict(delivery)), nx=True)
        pipe.zadd(self.index_key(delivery.subscription_id), {delivery.id: delivery.seq}, nx=True)
        # Also by alert, so an alert's page lists what was sent about it (a digest is
        # listed under every alert it tells of). A system alert (a refused checkpoint) is
        # no milestone's alert stream, so it is listed by subscription only.
        for stream in {ref["stream"] for ref in delivery.events if "stream" in ref}:
            pipe.zadd(self.alert_index_key(stream), {delivery.id: delivery.seq}, nx=True)
        pipe.zadd(self.outbox_key, {delivery.id: self.now()}, nx=True)

    def next_seq(self) -> int:
        return int(self.redis.incr(self.keys.admin("delivery:seq")))

    def get(self, delivery_id: str) -> Delivery | None:
        raw = self.redis.get(self._key(delivery_id))
        if not raw:
            return None
        delivery = Delivery(**json.loads(raw))
        entries = self.redis.lrange(self._key(delivery_id) + ":attempts", 0, -1)
        return replace(delivery, attempt_log=[json.loads(entry) for entry in entries])

    def _save(self, delivery: Delivery, pipe: Any) -> None:
        stored = replace(delivery, updated_at=isoformat(self.clock.now()), attempt_log=[])
        pipe.set(self._key(delivery.id), json.dumps(asdict(stored)))

    def start_attempt(self, delivery: Delivery, lease_seconds: float) -> Delivery:
        """Mark the attempt begun; if this worker dies, the lease runs out and it is resent."""
        started = replace(delivery, status=SENDING, attempts=delivery.attempts + 1)
        with (
            rerouted(self.redis),
            owner(self.redis, self.keys.log).pipeline(transaction=True) as pipe,
        ):
            self._save(started, pipe)
            pipe.zadd(self.outbox_key, {delivery.id: self.now() + lease_seconds})
            pipe.execute()
        return started

    def record(
        self, delivery: Delivery, outcome: Outcome, status: str, recheck_in: float | None = None
    ) -> Delivery:
        """Log the attempt; ``recheck_in`` keeps it in the outbox (a retry is coming)."""
        ended = replace(
            delivery, status=status, last_error=outcome.error, last_status_code=outcome.status_code
        )
        entry = {"attempt": ended.attempts, "at": isoformat(self.clock.now()), **asdict(outcome)}
        with (
            rerouted(self.redis),
            owner(self.redis, self.keys.log).pipeline(transaction=True) as pipe,
        ):
            self._save(ended, pipe)
            pipe.rpush(self._key(delivery.id) + ":attempts", json.dumps(entry))
            if recheck_in is None:
                pipe.zrem(self.outbox_key, delivery.id)
            else:
                pipe.zadd(self.outbox_key, {delivery.id: self.now() + recheck_in})
            pipe.execute()
        return ended

    def skip(self, delivery: Delivery, reason: str) -> Delivery:
        return self.record(delivery, Outcome("skipped", error=reason), SKIPPED)

    def redeliver(self, delivery: Delivery) -> Delivery:
        """Send it again from scratch; the webhook-id stays, so receivers can dedupe."""
        again = replace(delivery, status=PENDING)
        with (
            rerouted(self.redis),
            owner(self.redis, self.keys.log).pipeline(transaction=True) as pipe,
        ):
            self._save(again, pipe)
            pipe.zadd(self.outbox_key, {delivery.id: self.now()})
            pipe.execute()
        return again

    def due(self, limit: int = 500) -> list[str]:
        """Deliveries nobody is working on: new ones, and leases that ran out."""
        found = self.redis.zrangebyscore(self.outbox_key, "-inf", self.now(), 0, limit)
        return [str(delivery_id) for delivery_id in found]

    def claim(self, delivery_id: str, lease_seconds: float) -> None:
        self.redis.zadd(self.outbox_key, {delivery_id: self.now() + lease_seconds}, xx=True)

    def page(
        self, subscription_id: str, before: int | None, limit: int
    ) -> tuple[list[Delivery], int | None]:
        upper = f"({before}" if before else "+inf"
        ids = self.redis.zrevrangebyscore(
            self.index_key(subscription_id), upper, "-inf", start=0, num=limit + 1
        )
        found = [d for d in (self.get(str(i)) for i in ids[:limit]) if d]
        return found, (found[-1].seq if len(ids) > limit and found else None)

    def for_alert(self, alert_stream: str) -> list[Delivery]:
        """Every delivery that told of an event of this alert, oldest first."""
        ids = self.redis.zrange(self.alert_index_key(alert_stream), 0, -1)
        return [d for d in (self.get(str(i)) for i in ids) if d]
