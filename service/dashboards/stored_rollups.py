"""Roll-ups of a past day kept beside its end-of-day snapshot, so that the day's first
as-of overview in a process reads them instead of computing them.

When a snapshot is written (by the projector at a day boundary, or by a repair), the
roll-up of every programme and initiative for that day is computed from the snapshot,
for staff and for the public, and stored in one hash beside it:

  eod:<day>:rollups    hash: field -> JSON {"totals": ..., "summary": ...}

A field names what the roll-up is a function of (summary_memo.py): the view (public or
not), the scope, the day, the rules and the scope's totals, whose ``position`` moves with
any change to one of its milestones. So an answer that folds a late event of the day onto
the snapshot finds no stored roll-up for the scopes that event changed, and computes
those; and a deployment whose rules changed computes them all, as before. The hash is
part of the snapshot's digest (end_of_day.py), so the worker's hourly check and
``verify --read-models`` catch an altered roll-up as they catch an altered record, and
it is dropped with the snapshot.

Reads never write it: an as-of answer only reads what the snapshot's writer stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from datetime import date
from functools import lru_cache
from typing import Any

import orjson

from service.dashboards.day_fold import DayFold
from service.dashboards.disclosed import Disclosed
from service.dashboards.domain import dashboards
from service.dashboards.domain.aggregates import Totals
from service.dashboards.domain.dashboards import Memo, ReadSource
from service.dashboards.domain.phrases import Phrase
from service.dashboards.domain.rag import Thresholds
from service.dashboards.end_of_day import Stamp, rollups_key, snapshot_layout
from service.dashboards.projector_status import log
from service.dashboards.readmodels import ReadModels
from service.ledger.infrastructure import Infrastructure

PHRASE = "$phrase"  # a Phrase, encoded: {"$phrase": template, "values": {...}}


def field(public: bool, key: Hashable) -> str:
    """The hash field of a roll-up: its memo key (summary_memo.py) and the view."""
    return hashlib.sha256(repr((public, key)).encode()).hexdigest()[:32]


def encode(value: Any) -> Any:
    """A roll-up as JSON-able values; Phrases keep their template and values."""
    if isinstance(value, Phrase):
        return {PHRASE: value.template, "values": encode(value.values)}
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    return value


def phrase(value: Any) -> Any:
    """A Phrase ``encode`` wrote (its values may hold Phrases too); other values as they are."""
    if isinstance(value, dict) and PHRASE in value:
        values = value["values"]
        if all(isinstance(item, SCALARS) for item in values.values()):
            return _leaf(value[PHRASE], tuple(values.items()))
        return Phrase(value[PHRASE], **{key: phrase(item) for key, item in values.items()})
    return value


SCALARS = (str, int, float, bool, type(None))


@lru_cache(maxsize=4096)
def _leaf(template: str, values: tuple[tuple[str, Any], ...]) -> Phrase:
    """A Phrase of plain values: the few RAG reasons ("12 days overdue") recur in every
    summary, so each is made once."""
    return Phrase(template, **dict(values))


def _reasons(rag: dict[str, Any]) -> None:
    rag["reasons"] = [phrase(reason) for reason in rag["reasons"]]


def dumps(found: tuple[Totals, dict[str, Any]]) -> bytes:
    totals, summary = found
    return orjson.dumps({"totals": totals.to_dict(), "summary": encode(summary)})


def loads(raw: bytes | str) -> tuple[Totals, dict[str, Any]]:
    """What ``dumps`` stored. A summary holds Phrases only in RAG reasons (its own, and
    those of its overdue and due-soon rows): only those are looked at, since walking
    every value of 110 summaries took most of an answer."""
    stored = orjson.loads(raw)
    summary = stored["summary"]
    _reasons(summary["rag"])
    for row in (*summary["overdue"], *summary["due_soon"]):
        _reasons(row["rag"])
    return Totals.from_dict(stored["totals"]), summary


class StoredRollups:
    """A memo of one as-of reading: the process's own roll-ups first, then those stored
    with the snapshot the reading started from (which it remembers once read)."""

    def __init__(self, memo: Memo, client: Any, key: str, public: bool) -> None:
        self.memo = memo
        self.client = client
        self.key = key
        self.public = public

    def get(self, key: Hashable) -> Any | None:
        return self.get_many({key: key}).get(key)

    def get_many(self, keys: dict[Any, Hashable]) -> dict[Any, Any]:
        found = {name: memo_hit for name, key in keys.items() if (memo_hit := self.memo.get(key))}
        missing = [(name, key) for name, key in keys.items() if name not in found]
        if missing:
            raw = self.client.hmget(self.key, [field(self.public, key) for _, key in missing])
            for (name, key), value in zip(missing, raw, strict=True):
                if value:
                    found[name] = loads(value)
                    self.memo.put(key, found[name])
        return found

    def put(self, key: Hashable, value: Any) -> None:
        self.memo.put(key, value)


class _Collected:
    """A memo that keeps every roll-up put into it, to be stored."""

    def __init__(self, public: bool) -> None:
        self.public = public
        self.found: dict[str, bytes] = {}

    def get(self, key: Hashable) -> Any | None:
        return None

    def get_many(self, keys: dict[Any, Hashable]) -> dict[Any, Any]:
        return {}

    def put(self, key: Hashable, value: Any) -> None:
        self.found[field(self.public, key)] = dumps(value)


def write_rollups(services: Infrastructure, stamp: Stamp, rules: Thresholds) -> int:
    """Compute and store the roll-ups an as-of overview of ``stamp.day`` reads, from the
    snapshot as it stands at ``stamp.position``, for staff and the public: the number
    stored. Called before the snapshot is digested."""
    day = date.fromisoformat(stamp.day)
    layout = snapshot_layout(services.keys, stamp.day)
    snapshot = DayFold(ReadModels(services.redis, services.keys, layout), [], stamp.position)
    stored: dict[str, bytes] = {}
    for public in (False, True):
        source: ReadSource = Disclosed(snapshot) if public else snapshot
        collected = _Collected(public)
        dashboards.overview(source, day, rules, collected)
        stored.update(collected.found)
    key = rollups_key(services.keys, stamp.day)
    services.redis.unlink(key)
    fields = list(stored.items())
    for start in range(0, len(fields), 500):
        chunk = dict(fields[start : start + 500])
        services.redis.hset(key, mapping=chunk)  # type: ignore[arg-type]
    return len(stored)


def store_rollups(services: Infrastructure) -> Callable[[Stamp], int]:
    """``write_rollups`` by the deployment's rules, for a snapshot's writer. They only
    spare answers work: one that cannot be stored is logged, and the snapshot is sealed
    without it (its answers compute the roll-ups)."""

    def store(stamp: Stamp) -> int:
        try:
            return write_rollups(services, stamp, Thresholds.of(services.config))
        except Exception:
            log.exception("the roll-ups of the snapshot of %s were not stored", stamp.day)
            services.redis.unlink(rollups_key(services.keys, stamp.day))
            return 0

    return store
