"""Queue a batch of read-model changes on a MULTI pipeline, collapsed to a few commands.

One HSET per family, one SADD per member set, one ZADD and one ZREM for the due index and
one HSET of scope totals and a ZADD/ZREM per scope's open index, one SET per checkpoint,
however many events the batch held: the projector's cost per
event is Python work, not Redis round trips.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import orjson
import redis

from service.dashboards.domain.aggregates import ScopeChanges
from service.dashboards.domain.projections import AddMember, Change, IndexDue, Put
from service.dashboards.readmodels import Layout


def queue_changes(pipe: redis.client.Pipeline, layout: Layout, changes: Iterable[Change]) -> None:
    records: dict[str, dict[str, bytes]] = defaultdict(dict)
    members: dict[str, set[str]] = defaultdict(set)
    due: dict[str, int | None] = {}
    for change in changes:
        if isinstance(change, Put):
            # Later changes of the same record win: only its last state is written.
            records[change.family][change.key] = orjson.dumps(change.record)
        elif isinstance(change, AddMember):
            members[layout.members(change.family, change.name, change.owner)].add(change.member)
        elif isinstance(change, IndexDue):
            due[change.milestone_id] = change.ordinal
    for family, mapping in records.items():
        pipe.hset(layout.records(family), mapping=mapping)  # type: ignore[arg-type]
    for key, added in members.items():
        pipe.sadd(key, *added)
    indexed = {member: ordinal for member, ordinal in due.items() if ordinal is not None}
    removed = [member for member, ordinal in due.items() if ordinal is None]
    if indexed:
        pipe.zadd(layout.due, indexed)  # type: ignore[arg-type]
    if removed:
        pipe.zrem(layout.due, *removed)


def queue_scope_changes(pipe: redis.client.Pipeline, layout: Layout, changes: ScopeChanges) -> None:
    """One HSET of every changed scope's totals, one ZADD and ZREM per open index."""
    if changes.totals:
        pipe.hset(
            layout.aggregates,
            mapping={s: orjson.dumps(t.to_dict()) for s, t in changes.totals.items()},  # type: ignore[arg-type]
        )
    for scope, indexed in changes.indexed.items():
        if indexed:
            pipe.zadd(layout.open_index(scope), indexed)  # type: ignore[arg-type]
    for scope, removed in changes.unindexed.items():
        if removed:
            pipe.zrem(layout.open_index(scope), *removed)


def queue_checkpoints(
    pipe: redis.client.Pipeline, layout: Layout, checkpoints: dict[str, int]
) -> None:
    pipe.mset({layout.checkpoint(family): position for family, position in checkpoints.items()})
