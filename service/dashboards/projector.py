"""The projector: folds the global log into the read models, batch by batch.

Each batch is read from the stored checkpoint, projected in Python, and written together
with the advanced checkpoint in one MULTI/EXEC under WATCH of the checkpoints and the
generation pointer. A crash before EXEC leaves nothing written (the batch is redone); a
crash after leaves everything written; a concurrent writer makes EXEC fail and the batch
is redone on fresh state. So no event is lost or applied twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import orjson
import redis

from service.dashboards.domain.aggregates import ScopeChanges, scope_changes, scopes_of
from service.dashboards.domain.milestone_projection import Facts
from service.dashboards.domain.projection_batch import project_batch
from service.dashboards.domain.projections import Change, Put, milestone_id_of
from service.dashboards.domain.readmodel import FAMILIES, MILESTONES
from service.dashboards.end_of_day import EndOfDay
from service.dashboards.projector_status import lease_key, record_error, status_key
from service.dashboards.readmodel_writes import (
    queue_changes,
    queue_checkpoints,
    queue_scope_changes,
)
from service.dashboards.readmodels import (
    Layout,
    generations_key,
    live_generations,
    stored_totals,
)
from service.dashboards.stored_rollups import store_rollups
from service.ledger.domain.chain import RecordedEvent
from service.ledger.infrastructure import Infrastructure
from service.ledger.signing import checkpoint_if_due
from service.runtime.clock import isoformat
from service.runtime.connection import owner, rerouted
from service.runtime.lease import lease
from service.runtime.metrics import BATCH_CONFLICTS, EVENTS_PROJECTED

BATCH = 2000

# Called with the batch after it is projected and before it is committed (fault injection).
BeforeCommit = Callable[[Sequence[RecordedEvent]], None]


def fold_batch(
    services: Infrastructure,
    target: Callable[[redis.client.Pipeline], Layout],
    families: Sequence[str] = FAMILIES,
    batch_size: int = BATCH,
    before_commit: BeforeCommit | None = None,
    record_status: bool = False,
    *,
    until: int | None = None,
    end_of_day: EndOfDay | None = None,
) -> int:
    """Project the next batch into the layout ``target`` returns; the number of events
    folded, 0 when the families are caught up with the log (or with ``until``).
    ``end_of_day`` cuts batches at day boundaries and snapshots the read models there."""
    with (
        rerouted(services.redis),
        owner(services.redis, services.keys.log).pipeline(transaction=True) as pipe,
    ):
        while True:
            try:
                layout = target(pipe)
                checkpoint_keys = [layout.checkpoint(family) for family in families]
                pipe.watch(*checkpoint_keys)
                raw = pipe.mget(checkpoint_keys)
                checkpoints = {f: int(v or 0) for f, v in zip(families, raw, strict=True)}
                start = min(checkpoints.values())
                limit = batch_size if until is None else min(batch_size, until - start)
                events = services.store.read_log(start, limit, sealed=False) if limit > 0 else []
                if not events:
                    pipe.unwatch()
                    return 0
                cut, snapshot = (
                    end_of_day.cut(pipe, layout, checkpoints, events)
                    if end_of_day
                    else (None, None)
                )
                if cut is not None:
                    events = list(cut.events)
                touched = _touched(pipe, layout, families, events)
                before = dict(touched)
                changes = project_batch(events, touched, checkpoints)
                scopes = _scope_changes(pipe, layout, before, changes)
                if pipe.mget(checkpoint_keys) != raw:
                    # Another commit landed between reading the checkpoints and the
                    # records: they would not match each other. (Every commit moves the
                    # checkpoints, so unchanged ones mean the records are theirs.)
                    raise redis.WatchError
                if before_commit:
                    before_commit(events)
                pipe.multi()
                if end_of_day and cut is not None:
                    end_of_day.queue(pipe, cut, snapshot)  # copies the state before the batch
                queue_changes(pipe, layout, changes)
                queue_scope_changes(pipe, layout, scopes)
                last = events[-1].position
                queue_checkpoints(pipe, layout, {f: max(p, last) for f, p in checkpoints.items()})
                if record_status:
                    pipe.hset(
                        status_key(services),
                        mapping={
                            "last_batch_at": isoformat(services.clock.now()),
                            "last_batch_events": len(events),
                        },
                    )
                pipe.execute()
                if end_of_day:
                    end_of_day.seal(snapshot)
                EVENTS_PROJECTED.inc(len(events))
                return len(events)
            except redis.WatchError:
                BATCH_CONFLICTS.inc()
                pipe.reset()
                continue  # another worker committed first: redo on its result


def _touched(
    pipe: redis.client.Pipeline,
    layout: Layout,
    families: Sequence[str],
    events: Sequence[RecordedEvent],
) -> dict[str, Facts | None]:
    """The milestone records this batch changes, as stored before it (one HMGET)."""
    ids = list({mid for event in events if (mid := milestone_id_of(event.stream))})
    if not ids or MILESTONES not in families:
        return {}
    raw = pipe.hmget(layout.records(MILESTONES), ids)
    return {
        mid: orjson.loads(value) if value else None for mid, value in zip(ids, raw, strict=True)
    }


def _scope_changes(
    pipe: redis.client.Pipeline,
    layout: Layout,
    before: dict[str, Facts | None],
    changes: Sequence[Change],
) -> ScopeChanges:
    """The batch's milestone changes folded into their scopes' stored totals (one HMGET)."""
    after: dict[str, Facts] = {
        change.key: change.record  # type: ignore[misc]
        for change in changes
        if isinstance(change, Put) and change.family == MILESTONES
    }
    scopes = {scope for record in after.values() for scope in scopes_of(record)}
    return scope_changes(before, after, stored_totals(pipe, layout, scopes))


class Projector:
    """Keeps the live read models up to date; one at a time, thanks to the lease."""

    def __init__(
        self,
        services: Infrastructure,
        *,
        batch_size: int = BATCH,
        lease_ttl_ms: int = 30_000,
        before_commit: BeforeCommit | None = None,
        between_batches: Callable[[], None] | None = None,
        end_of_day: bool = True,
    ) -> None:
        """``end_of_day``: write end-of-day snapshots (off only to set a benchmark up)."""
        self.services = services
        self.end_of_day = EndOfDay(services, store_rollups(services)) if end_of_day else None
        self.batch_size = batch_size
        self.before_commit = before_commit
        self.between_batches = between_batches
        self.lease = lease(services.redis, lease_key(services), lease_ttl_ms)

    def _live(self, pipe: redis.client.Pipeline) -> Layout:
        # Watching the pointer makes a rebuild's switch abort a batch aimed at the old one.
        pipe.watch(generations_key(self.services.keys))
        return Layout(self.services.keys, live_generations(pipe, self.services.keys))

    def step(self) -> int:
        try:
            return fold_batch(
                self.services,
                self._live,
                FAMILIES,
                self.batch_size,
                self.before_commit,
                record_status=True,
                end_of_day=self.end_of_day,
            )
        except Exception as error:
            record_error(self.services, error)
            raise

    def catch_up(self, wait_seconds: float = 60.0) -> int:
        """Project until the read models reach the head of the log; the events folded."""
        if not self.lease.acquire(blocking_timeout=wait_seconds):
            return 0  # the holder projects to the head before it lets go
        try:
            total = 0
            while folded := self.step():
                total += folded
                if self.between_batches:
                    self.between_batches()
                if not self.lease.renew() and not self.lease.acquire(blocking=False):
                    break  # our lease lapsed and another worker took over
            return total
        finally:
            self.lease.release()


def advance_log(infrastructure: Infrastructure) -> None:
    """Seal the global chain up to the head, grow the Merkle tree over it and sign a
    checkpoint if one is due. Each step compares-and-sets, so any process may run it."""
    infrastructure.store.sealer.seal_all()
    infrastructure.store.tree.grow_all()
    checkpoint_if_due(infrastructure)


def catch_up(infrastructure: Infrastructure, before_commit: BeforeCommit | None = None) -> int:
    """Advance the log (seal, grow the tree, sign a checkpoint if due), then project it;
    the events folded. The log advances again between projection batches: under
    sustained appends the projector may chase the head for a long time, and checkpoints
    must not wait for it. Clears the wake flag first, so an append from here on wakes a
    new run (see wake.py)."""
    infrastructure.redis.delete(infrastructure.keys.projector_wake)
    advance_log(infrastructure)
    return Projector(
        infrastructure,
        before_commit=before_commit,
        between_batches=lambda: advance_log(infrastructure),
    ).catch_up()
