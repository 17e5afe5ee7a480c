"""End-of-day snapshots of the read models, so an as-of answer folds one day, not the log.

When the live projector crosses a day boundary (see domain/days.py) it copies every key of
the live read models (records, member sets, scope totals and indexes, checkpoints, the due
index) under ``eod:<day>:`` in the same transaction as the batch that crosses, before the
batch's changes. Keys, all under the read-model hash tag:

  eod                        hash day -> JSON {position, event_id, event_hash, digest}
  eod-days                   sorted set day -> its ordinal (the latest snapshot before a date)
  eod:<day>:<family>:...     the copy, laid out as a generation is (readmodels.Layout)
  projector:day              the latest recorded day the live projector has folded

A snapshot is stamped with the log position it reflects and the id and chain hash of the
event there, and after the copy with a digest of its contents. Before one is used, the
stamp is compared with the log (a log rewritten since makes it useless: it is dropped)
and the digest with its contents (once per process, as that reads every key); a copy
that is missing or altered is rebuilt from the latest earlier snapshot that checks out,
or from the start of the log, by the projector's own fold.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import redis

from service.dashboards.domain.days import Cut, cut_at_day_boundary
from service.dashboards.domain.readmodel import FAMILIES
from service.dashboards.readmodels import Layout
from service.ledger.domain.chain import RecordedEvent
from service.ledger.infrastructure import Infrastructure
from service.ledger.keys import Keys


@dataclass(frozen=True)
class Stamp:
    day: str
    position: int
    event_id: str
    event_hash: str
    digest: str | None = None

    def to_json(self) -> bytes:
        return orjson.dumps(self.__dict__)

    def matches(self, event: RecordedEvent | None) -> bool:
        return event is not None and (event.id, event.hash) == (self.event_id, self.event_hash)


def snapshot_layout(keys: Keys, day: str) -> Layout:
    return Layout(keys, {}, live=False, base=f"eod:{day}")


def latest_day_key(keys: Keys) -> str:
    return keys.read_model("projector:day")


def stamps_key(keys: Keys) -> str:
    return keys.read_model("eod")


def days_key(keys: Keys) -> str:
    return keys.read_model("eod-days")


@dataclass(frozen=True)
class Pending:
    """A snapshot to copy in the transaction of the batch that crosses its day."""

    stamp: Stamp
    copies: list[tuple[str, str]]  # (live key, snapshot key)


class EndOfDay:
    """The projector's side: cut batches at day boundaries and copy the read models there."""

    def __init__(self, services: Infrastructure) -> None:
        self.services = services
        self.keys = services.keys

    def cut(
        self,
        pipe: redis.client.Pipeline,
        layout: Layout,
        checkpoints: dict[str, int],
        events: Sequence[RecordedEvent],
    ) -> tuple[Cut[RecordedEvent], Pending | None]:
        """Called in the watched part of a batch; reads the keys to copy, if any."""
        raw = pipe.get(latest_day_key(self.keys))
        cut = cut_at_day_boundary(events, str(raw) if raw else None)
        positions = set(checkpoints.values())
        if cut.snapshot_day is None or len(positions) != 1:
            # Families at different positions have no common end of day to copy; the
            # as-of fold starts from an earlier snapshot instead.
            return cut, None
        (position,) = positions
        at = self.services.store.read_log(position - 1, 1, sealed=False)
        if not at or at[0].position != position:
            return cut, None
        target = snapshot_layout(self.keys, cut.snapshot_day)
        copies = [(layout.due, target.due)] + [
            (key, target.family_prefix(family) + key.removeprefix(layout.family_prefix(family)))
            for family in FAMILIES
            for key in pipe.scan_iter(match=layout.pattern(family), count=1000)
        ]
        stamp = Stamp(cut.snapshot_day, position, at[0].id, at[0].hash)
        return cut, Pending(stamp, copies)

    def queue(
        self, pipe: redis.client.Pipeline, cut: Cut[RecordedEvent], pending: Pending | None
    ) -> None:
        """Queue the copy (before the batch's changes) and the latest day folded."""
        if pending is not None:
            for source, target in pending.copies:
                pipe.copy(source, target, replace=True)
            queue_stamp(pipe, self.keys, pending.stamp)
        if cut.latest_day is not None:
            pipe.set(latest_day_key(self.keys), cut.latest_day)

    def seal(self, pending: Pending | None) -> None:
        """After the commit: digest the copy, which no one writes again."""
        if pending is not None:
            seal(self.services, pending.stamp)


def queue_stamp(pipe: Any, keys: Keys, stamp: Stamp) -> None:
    pipe.hset(stamps_key(keys), stamp.day, stamp.to_json())
    pipe.zadd(days_key(keys), {stamp.day: date.fromisoformat(stamp.day).toordinal()})


def seal(services: Infrastructure, stamp: Stamp) -> Stamp:
    sealed = Stamp(**{**stamp.__dict__, "digest": digest(services.redis, services.keys, stamp.day)})
    queue_stamp(services.redis, services.keys, sealed)
    return sealed


def snapshot_root(keys: Keys, day: str) -> str:
    """What every key of the snapshot of ``day`` starts with."""
    return keys.read_model(f"eod:{day}:")


def snapshot_keys(client: redis.Redis, keys: Keys, day: str) -> list[str]:
    layout = snapshot_layout(keys, day)
    found = {layout.due} if client.exists(layout.due) else set()
    for family in FAMILIES:
        found.update(str(k) for k in client.scan_iter(match=layout.pattern(family), count=1000))
    return sorted(found)


def digest(client: redis.Redis, keys: Keys, day: str) -> str:
    """SHA-256 over every key of the snapshot, its name (relative) and its contents."""
    prefix = snapshot_root(keys, day)
    hashed = hashlib.sha256()
    for key in snapshot_keys(client, keys, day):
        kind = str(client.type(key))
        content: Any
        if kind == "hash":
            content = sorted(client.hgetall(key).items())
        elif kind == "set":
            content = sorted(client.smembers(key))
        elif kind == "zset":
            content = client.zrange(key, 0, -1, withscores=True)
        else:
            content = client.get(key)
        hashed.update(orjson.dumps([key.removeprefix(prefix), kind, content]))
    return hashed.hexdigest()


def stamp_of(client: redis.Redis, keys: Keys, day: str) -> Stamp | None:
    raw = client.hget(stamps_key(keys), day)
    return Stamp(**orjson.loads(raw)) if raw else None
