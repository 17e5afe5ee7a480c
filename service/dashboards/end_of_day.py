"""End-of-day snapshots of the read models, so an as-of answer folds one day, not the log.

When the live projector crosses a day boundary (see domain/days.py) it copies every key of
the live read models (records, member sets, scope totals and indexes, checkpoints, the due
index) under ``eod:<day>:`` in the same transaction as the batch that crosses, before the
batch's changes. Keys, all under the read-model hash tag:

  eod                        hash day -> JSON {position, event_id, event_hash, digest}
  eod-days                   sorted set day -> its ordinal (the latest snapshot before a date)
  eod:<day>:<family>:...     the copy, laid out as a generation is (readmodels.Layout)
  eod:<day>:rollups          hash: the day's roll-ups for as-of overviews (stored_rollups.py)
  projector:day              the latest recorded day the live projector has folded

A snapshot is stamped with the log position it reflects and the id and chain hash of the
event there, and after the copy with a digest of its contents. Before one is used, the
stamp is compared with the log and the copy's checkpoints with the stamp; the contents
are compared with the digest by the worker (hourly) and ``verify --read-models``, since
that reads every key. See snapshot_checks.py for passing over and repairing those that
do not check out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import orjson
import redis

from service.dashboards.domain.days import Cut, cut_at_day_boundary
from service.dashboards.readmodels import Layout, layout_parts
from service.ledger.domain.chain import RecordedEvent
from service.ledger.infrastructure import Infrastructure
from service.ledger.keys import Keys

DAILY_DAYS = 31
SUNDAY = 7

# Snapshots whose digest this process has compared with their contents: (prefix, day) ->
# digest. A digest is only written once the copy is complete, and a copy never changes;
# so a copy altered later is caught by a process that has not read it yet (and always by
# ``verify --read-models``).
_checked: dict[tuple[str, str], str] = {}


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


def rollups_key(keys: Keys, day: str) -> str:
    """The roll-ups stored with the snapshot of ``day`` (stored_rollups.py)."""
    return keys.read_model(f"eod:{day}:rollups")


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

    def __init__(
        self, services: Infrastructure, before_seal: Callable[[Stamp], object] | None = None
    ) -> None:
        """``before_seal(stamp)``: what else to store with a snapshot before it is
        digested (its roll-ups, stored_rollups.py)."""
        self.services = services
        self.keys = services.keys
        self.before_seal = before_seal

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
        copies = [(p.key(layout), p.key(target)) for p in layout_parts(self.services.redis, layout)]
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
        """After the commit: digest the copy, which no one writes again, and thin out
        the older ones."""
        if pending is not None:
            if self.before_seal is not None:
                self.before_seal(pending.stamp)
            seal(self.services, pending.stamp)
            thin_out(self.services, date.fromisoformat(pending.stamp.day))


def thin_out(services: Infrastructure, latest: date) -> None:
    """Keep a snapshot for each of the last ``DAILY_DAYS`` days and for each Sunday before:
    a copy of the read models per day forever would grow Redis by the whole model daily.
    An as-of answer further back than that folds up to a week of events instead of a day."""
    horizon = (latest - timedelta(days=DAILY_DAYS)).toordinal()
    for day in services.redis.zrangebyscore(days_key(services.keys), "-inf", f"({horizon}"):
        if date.fromisoformat(str(day)).isoweekday() != SUNDAY:
            drop_snapshot(services, str(day))


def drop_snapshot(services: Infrastructure, day: str, *, keep_stamp: bool = False) -> None:
    keys = [*snapshot_keys(services.redis, services.keys, day), rollups_key(services.keys, day)]
    for start in range(0, len(keys), 1000):
        services.redis.unlink(*keys[start : start + 1000])
    if not keep_stamp:
        services.redis.hdel(stamps_key(services.keys), day)
        services.redis.zrem(days_key(services.keys), day)
    _checked.pop((services.keys.prefix, day), None)


def contents_hold(services: Infrastructure, stamp: Stamp) -> bool:
    """Whether the copy's contents match the stamp's digest (read once per process)."""
    if stamp.digest is None:
        return False
    cache = (services.keys.prefix, stamp.day)
    if _checked.get(cache) == stamp.digest:
        return True
    if digest(services.redis, services.keys, stamp.day) != stamp.digest:
        return False
    _checked[cache] = stamp.digest
    return True


def queue_stamp(pipe: Any, keys: Keys, stamp: Stamp) -> None:
    pipe.hset(stamps_key(keys), stamp.day, stamp.to_json())
    pipe.zadd(days_key(keys), {stamp.day: date.fromisoformat(stamp.day).toordinal()})


def seal(services: Infrastructure, stamp: Stamp) -> Stamp:
    sealed = Stamp(**{**stamp.__dict__, "digest": digest(services.redis, services.keys, stamp.day)})
    queue_stamp(services.redis, services.keys, sealed)
    return sealed


def snapshot_keys(client: redis.Redis, keys: Keys, day: str) -> list[str]:
    return [
        part.key(snapshot_layout(keys, day))
        for part in layout_parts(client, snapshot_layout(keys, day))
    ]


def digest(client: redis.Redis, keys: Keys, day: str) -> str:
    """SHA-256 over every key of the snapshot: its part's name, and its contents."""
    layout = snapshot_layout(keys, day)
    parts = layout_parts(client, layout)
    hashed = hashlib.sha256()
    for start in range(0, len(parts), 500):
        chunk = parts[start : start + 500]
        with client.pipeline(transaction=False) as pipe:
            for part in chunk:
                key = part.key(layout)
                if part.kind == "hash":
                    pipe.hgetall(key)
                elif part.kind == "set":
                    pipe.smembers(key)
                elif part.kind == "zset":
                    # Without the keyword redis-py leaves the scores as Redis sent them.
                    pipe.execute_command("ZRANGE", key, 0, -1, "WITHSCORES")
                else:
                    pipe.get(key)
            contents = pipe.execute()
        for part, content in zip(chunk, contents, strict=True):
            found = sorted(content.items()) if part.kind == "hash" else content
            found = sorted(found) if part.kind == "set" else found
            hashed.update(orjson.dumps([part.family, part.suffix, found]))
    # The stored roll-ups, when there are any (snapshots written before them have none,
    # and keep the digest they were sealed with).
    rollups = client.hgetall(rollups_key(keys, day))
    if rollups:
        hashed.update(orjson.dumps(["rollups", sorted(rollups.items())]))
    return hashed.hexdigest()


def stamp_of(client: redis.Redis, keys: Keys, day: str) -> Stamp | None:
    raw = client.hget(stamps_key(keys), day)
    return Stamp(**orjson.loads(raw)) if raw else None
