"""The alert feed: a read model of every alert, projected from the event log.

It follows the global log from its own checkpoint and writes the alert documents, the
indexes and the new checkpoint in one transaction (guarded by WATCH on the checkpoint),
so a crash or a second scanner neither loses nor double-applies an alert event.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from typing import Any

import redis

from service.alerts.domain import alerts as al
from service.alerts.follower import Writes, follow_alert_events
from service.ledger.domain.chain import RecordedEvent
from service.ledger.eventstore import EventStore
from service.tracking.domain import events as ev


def to_doc(alert: al.Alert, record: RecordedEvent, previous: dict[str, Any] | None) -> dict:
    doc: dict[str, Any] = {
        key: value.isoformat() if isinstance(value, date | datetime) else value
        for key, value in dataclasses.asdict(alert).items()
    }
    doc["version"] = record.version
    doc["raised_position"] = previous["raised_position"] if previous else record.position
    doc["updated_at"] = record.recorded_at
    doc["acknowledged_by"] = (previous or {}).get("acknowledged_by")
    doc["resolved_detail"] = (previous or {}).get("resolved_detail")
    if record.type == "AlertAcknowledged":
        doc["acknowledged_by"] = record.actor
    if record.type == "AlertResolved":
        doc["resolved_detail"] = record.payload["detail"]
    return doc


def from_doc(doc: dict[str, Any]) -> al.Alert:
    values = {field.name: doc[field.name] for field in dataclasses.fields(al.Alert)}
    values["due_date"] = date.fromisoformat(values["due_date"])
    for name in ("raised_at", "last_notified_at"):
        values[name] = datetime.fromisoformat(values[name])
    return al.Alert(**values)


class AlertFeed:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.redis: redis.Redis = store.redis
        keys = store.keys
        self.checkpoint_key = keys.read_model("alerts:checkpoint")
        self.docs_key = keys.read_model("alerts:docs")
        self.feed_key = keys.read_model("alerts:feed")  # id -> position of AlertRaised
        self.active_key = keys.read_model("alerts:active")  # not yet resolved

    def checkpoint(self) -> int:
        return int(self.redis.get(self.checkpoint_key) or 0)

    def sync(self) -> int:
        """Apply alert events appended since the checkpoint; returns how many."""

        def prepare(records: list[RecordedEvent]) -> tuple[Writes, int]:
            docs = self._evolve(records)
            return (lambda pipe: self._write(pipe, docs)), len(records)

        return follow_alert_events(self.store, self.checkpoint_key, prepare)

    def _evolve(self, records: list[RecordedEvent]) -> dict[str, dict[str, Any]]:
        ids = list(dict.fromkeys(record.stream.removeprefix("alert-") for record in records))
        docs = dict(zip(ids, self.get_many(ids), strict=True))
        for record in records:
            alert_id = record.stream.removeprefix("alert-")
            previous = docs.get(alert_id)
            state = from_doc(previous) if previous else None
            event = ev.from_payload(record.type, record.payload)
            docs[alert_id] = to_doc(al.evolve(state, event), record, previous)
        return {alert_id: doc for alert_id, doc in docs.items() if doc}

    def _write(self, pipe: Any, docs: dict[str, dict[str, Any]]) -> None:
        if not docs:
            return
        pipe.hset(self.docs_key, mapping={k: json.dumps(v) for k, v in docs.items()})
        pipe.zadd(self.feed_key, {k: v["raised_position"] for k, v in docs.items()})
        active = [k for k, v in docs.items() if v["state"] != al.RESOLVED]
        resolved = [k for k, v in docs.items() if v["state"] == al.RESOLVED]
        if active:
            pipe.sadd(self.active_key, *active)
        if resolved:
            pipe.srem(self.active_key, *resolved)

    # --- queries -------------------------------------------------------------------

    def get_many(self, alert_ids: list[str]) -> list[dict[str, Any] | None]:
        if not alert_ids:
            return []
        raw = self.redis.hmget(self.docs_key, alert_ids)
        return [json.loads(item) if item else None for item in raw]

    def get(self, alert_id: str) -> dict[str, Any] | None:
        return self.get_many([alert_id])[0]

    def known(self, alert_ids: list[str]) -> list[bool]:
        if not alert_ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for alert_id in alert_ids:
            pipe.hexists(self.docs_key, alert_id)
        return [bool(found) for found in pipe.execute()]

    def active(self) -> list[dict[str, Any]]:
        ids = sorted(str(alert_id) for alert_id in self.redis.smembers(self.active_key))
        return [doc for doc in self.get_many(ids) if doc]

    def page(
        self, filters: dict[str, str], before: int | None, limit: int, chunk: int = 200
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Newest first, matching every filter; the cursor is a raised position."""
        found: list[dict[str, Any]] = []
        upper: str = f"({before}" if before else "+inf"
        while len(found) <= limit:
            ids: Any = self.redis.zrevrangebyscore(
                self.feed_key, upper, "-inf", start=0, num=chunk, withscores=True
            )
            if not ids:
                break
            docs = self.get_many([alert_id for alert_id, _ in ids])
            found += [d for d in docs if d and all(d.get(k) == v for k, v in filters.items())]
            upper = f"({int(ids[-1][1])}"
        page = found[:limit]
        more = len(found) > limit
        return page, (page[-1]["raised_position"] if more and page else None)
