"""Several single-stream appends acknowledged by one fsync.

With ``appendfsync always`` Redis fsyncs once per pass of its event loop, before it
replies, so appends sent one after another wait for one fsync each. Here they go out in
one pipeline: each is the ordinary append script, compare-and-set on its own stream's
head as usual (the script gives out the global positions, so they do not depend on each
other). An append whose stream moved in between is decided again on its own with
``EventStore.append``.

An append may carry its own Idempotency-Key: a resent batch (a bulk report retried after
a lost reply, say) then appends nothing twice, and says what the first one appended.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from service.ledger.domain.chain import Actor
from service.ledger.domain.event import DomainEvent
from service.ledger.eventstore import (
    AppendResult,
    EventStore,
    Idempotency,
    VersionConflict,
    _parse_head,
    _replay,
    _text,
)

Append = tuple[str, Sequence[DomainEvent], int]  # stream, events, expected version


def append_each(
    store: EventStore,
    appends: Sequence[Append],
    *,
    actor: Actor,
    correlation_id: str | None = None,
    idempotency: Mapping[str, Idempotency] | None = None,
) -> list[AppendResult | VersionConflict]:
    """One outcome per append, in order: what it appended (or, for a stream whose
    ``idempotency`` key was used already, the replay of what that appended), or the
    conflict that refused it (nothing written). Streams must be distinct."""
    keys = idempotency or {}
    streams = [stream for stream, _, _ in appends]
    if len(set(streams)) != len(streams):
        raise ValueError("append_each needs distinct streams")
    if not appends:
        return []
    stream_heads = store.redis.hmget(store.keys.heads, streams)
    pipe = store.redis.pipeline(transaction=False)
    planned: list[Any] = []
    for (stream, events, expected), raw in zip(appends, stream_heads, strict=True):
        version, stream_prev = _parse_head(_text(raw))
        if version != expected:
            planned.append(VersionConflict(stream, expected, version))
            continue
        records = store._record(stream, events, version, stream_prev, actor, correlation_id, None)
        store.call_append_script(
            records, _text(raw) or "", idempotency=keys.get(stream), client=pipe
        )
        planned.append(records)
    replies = iter(pipe.execute())
    return [
        _settle(store, plan, next(replies), append, actor, correlation_id, keys.get(append[0]))
        if not isinstance(plan, VersionConflict)
        else _moved(store, plan, keys.get(append[0]))
        for plan, append in zip(planned, appends, strict=True)
    ]


def _moved(
    store: EventStore, conflict: VersionConflict, idempotency: Idempotency | None
) -> AppendResult | VersionConflict:
    """A stream found past its expected version may have been moved by this very append,
    sent before (its Idempotency-Key then says so)."""
    replay = store.idempotent_replay(idempotency) if idempotency else None
    return AppendResult(replay=replay) if replay else conflict


def _settle(
    store: EventStore,
    records: Any,
    reply: Any,
    append: Append,
    actor: Actor,
    correlation_id: str | None,
    idempotency: Idempotency | None,
) -> AppendResult | VersionConflict:
    outcome = _text(reply[0])
    if outcome == "ok":
        return AppendResult(events=store.committed(records, reply))
    if outcome == "dup" and idempotency is not None:
        return AppendResult(replay=_replay(idempotency, _text(reply[1]) or ""))
    stream, events, expected = append
    try:  # the stream moved since its head was read: decide on its own
        return store.append(
            stream,
            events,
            expected_version=expected,
            actor=actor,
            correlation_id=correlation_id,
            idempotency=idempotency,
        )
    except VersionConflict as conflict:
        return conflict
