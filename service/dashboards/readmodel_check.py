"""Check the live read models against the log: fold the log with the same projection the
projector runs, compare every record, and name the first one that differs; then compare
the totals and open indexes kept per scope with those counted afresh from the (checked)
milestone records.

The read models are what the dashboards show, and anyone with Redis access could edit
them without touching the hash-chained log; this check is how such an edit, or a
projector bug, comes to light. Each family is compared at its own checkpoint, read in
the same transaction as its records, so a projector still catching up is never reported
as tampering. The outcome is kept under the read-model hash tag for the dashboards.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import orjson
import redis

from service.dashboards.domain.aggregates import open_ordinal, scopes_of, totals_of
from service.dashboards.domain.readmodel import FAMILIES, MILESTONES
from service.dashboards.domain.snapshot import Snapshot
from service.dashboards.readmodels import Layout, generations_key, live_generations
from service.ledger.infrastructure import Infrastructure
from service.ledger.keys import Keys
from service.ledger.reads import Read
from service.runtime.clock import isoformat
from service.runtime.connection import owner, rerouted

Records = dict[str, dict[str, Any]]  # id -> record as stored (decoded JSON)
AGGREGATES = "scope totals"  # what a Difference names when kept totals or indexes differ


@dataclass(frozen=True)
class Difference:
    family: str
    id: str
    field: str | None  # None when the whole record is missing on one side
    reason: str

    def __str__(self) -> str:
        where = f"{self.family} {self.id}" + (f", field {self.field}" if self.field else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class ReadModelCheck:
    checked_at: str
    ok: bool
    checkpoints: dict[str, int]  # the log position each family was compared at
    difference: Difference | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_read_models(services: Infrastructure) -> ReadModelCheck:
    """Compare the live read models with the log folded to their checkpoints, and record
    the outcome (see ``last_check``)."""
    checkpoints, live, kept = _live_records(services.redis, services.keys)
    folded = _fold(services, checkpoints)
    difference = next(
        (found for family in FAMILIES if (found := _first_difference(family, folded, live))),
        None,
    ) or _first_difference(AGGREGATES, {AGGREGATES: _expected_scopes(live[MILESTONES])}, kept)
    check = ReadModelCheck(
        isoformat(services.clock.now()), difference is None, checkpoints, difference
    )
    services.redis.set(_check_key(services.keys), orjson.dumps(check.to_dict()))
    return check


def last_check(client: redis.Redis, keys: Keys) -> dict[str, Any] | None:
    """The last recorded outcome, as ``ReadModelCheck.to_dict`` wrote it; None if never."""
    return last_check_read(keys).run(client)


def last_check_read(keys: Keys) -> Read[dict[str, Any] | None]:
    """``last_check`` as a Read, to share a round trip."""
    key = _check_key(keys)
    return Read(lambda client: client.get(key), lambda raw: orjson.loads(raw) if raw else None)


def _check_key(keys: Keys) -> str:
    return keys.read_model("check")


def _live_records(
    client: redis.Redis, keys: Keys
) -> tuple[dict[str, int], dict[str, Records], dict[str, Records]]:
    """Each family's checkpoint and records, and the scope totals and open indexes kept
    beside the milestones, read together: the projector commits them in one transaction,
    and a commit or a rebuild switching generations meanwhile restarts the read."""
    with (
        rerouted(client),
        owner(client, generations_key(keys)).pipeline(transaction=True) as pipe,
    ):
        while True:
            try:
                pipe.watch(generations_key(keys))
                layout = Layout(keys, live_generations(pipe, keys))
                pipe.watch(layout.checkpoint(MILESTONES))
                indexes = sorted(pipe.scan_iter(match=layout.open_index("*"), count=1000))
                pipe.multi()
                pipe.mget([layout.checkpoint(family) for family in FAMILIES])
                for family in FAMILIES:
                    pipe.hgetall(layout.records(family))
                pipe.hgetall(layout.aggregates)
                for key in indexes:
                    pipe.zrange(key, 0, -1, withscores=True)
                raw_checkpoints, *raw_records = pipe.execute()
                break
            except redis.WatchError:
                continue
    checkpoints = {f: int(v or 0) for f, v in zip(FAMILIES, raw_checkpoints, strict=True)}
    records = {
        family: {str(key): orjson.loads(value) for key, value in found.items()}
        for family, found in zip(FAMILIES, raw_records[: len(FAMILIES)], strict=True)
    }
    raw_totals, raw_indexes = raw_records[len(FAMILIES)], raw_records[len(FAMILIES) + 1 :]
    prefix = layout.open_index("")
    kept = {str(scope): {"totals": orjson.loads(t)} for scope, t in raw_totals.items()}
    for key, entries in zip(indexes, raw_indexes, strict=True):
        scope = kept.setdefault(str(key).removeprefix(prefix), {})
        scope["open"] = {str(m): int(o) for m, o in entries}
    return checkpoints, records, {AGGREGATES: kept}


def _expected_scopes(milestones: Records) -> Records:
    """Each scope's totals and open index, counted afresh from milestone records."""
    members: dict[str, list[dict[str, Any]]] = {}
    for record in milestones.values():
        for scope in scopes_of(record):
            members.setdefault(scope, []).append(record)
    expected: Records = {}
    for scope, records in members.items():
        expected[scope] = {"totals": totals_of(records).to_dict()}
        index = {r["milestone_id"]: o for r in records if (o := open_ordinal(r)) is not None}
        if index:
            expected[scope]["open"] = index
    return expected


def _fold(services: Infrastructure, checkpoints: dict[str, int]) -> dict[str, Records]:
    """Each family's records folded from the log up to that family's checkpoint."""
    snapshot = Snapshot()
    folded = {f: _encoded(snapshot, f) for f, position in checkpoints.items() if not position}
    last = max(checkpoints.values(), default=0)
    for event in services.store.iter_log(0, sealed=False):
        if event.position > last:
            break
        snapshot.apply(event)
        for family, position in checkpoints.items():
            if position == event.position:
                folded[family] = _encoded(snapshot, family)
    return folded


def _encoded(snapshot: Snapshot, family: str) -> Records:
    """The records as the projector stores them (orjson), decoded back for comparing."""
    return {key: orjson.loads(orjson.dumps(r)) for key, r in snapshot.records[family].items()}


def _first_difference(
    family: str, folded: dict[str, Records], live: dict[str, Records]
) -> Difference | None:
    expected, found = folded.get(family, {}), live[family]
    for record_id in sorted(set(expected) | set(found)):
        if record_id not in found:
            return Difference(family, record_id, None, "in the log but not in the read model")
        if record_id not in expected:
            return Difference(family, record_id, None, "in the read model but not in the log")
        mine, theirs = expected[record_id], found[record_id]
        for field in sorted(set(mine) | set(theirs)):
            if mine.get(field) != theirs.get(field):
                return Difference(
                    family,
                    record_id,
                    field,
                    f"the log says {mine.get(field)!r}, the read model {theirs.get(field)!r}",
                )
    return None
