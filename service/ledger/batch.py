"""Several single-stream appends acknowledged by one fsync.

With ``appendfsync always`` Redis fsyncs once per pass of its event loop, before it
replies, so appends sent one after another wait for one fsync each. Here they go out in
one pipeline: each is the ordinary append script, compare-and-set on its own stream's
head as usual (the script gives out the global positions, so they do not depend on each
other). An append whose stream moved in between is decided again on its own with
``EventStore.append``. When replicas must confirm appends, one WAIT closes the pipeline:
it counts the replicas that have every append before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.ledger.domain.chain import Actor
from service.ledger.domain.event import DomainEvent
from service.ledger.eventstore import (
    AppendResult,
    EventStore,
    VersionConflict,
    _parse_head,
    _text,
    refused_unwritten,
)
from service.runtime.connection import owner

Append = tuple[str, Sequence[DomainEvent], int]  # stream, events, expected version


def append_each(
    store: EventStore,
    appends: Sequence[Append],
    *,
    actor: Actor,
    correlation_id: str | None = None,
) -> list[AppendResult | VersionConflict]:
    """One outcome per append, in order: what it appended, or the conflict that refused
    it (nothing written). Streams must be distinct."""
    streams = [stream for stream, _, _ in appends]
    if len(set(streams)) != len(streams):
        raise ValueError("append_each needs distinct streams")
    if not appends:
        return []
    stream_heads = store.redis.hmget(store.keys.heads, streams)
    pipe = owner(store.redis, store.keys.log).pipeline(transaction=False)
    planned: list[Any] = []
    for (stream, events, expected), raw in zip(appends, stream_heads, strict=True):
        version, stream_prev = _parse_head(_text(raw))
        if version != expected:
            planned.append(VersionConflict(stream, expected, version))
            continue
        records = store._record(stream, events, version, stream_prev, actor, correlation_id, None)
        store.call_append_script(records, _text(raw) or "", client=pipe)
        planned.append(records)
    needed = store.ready_to_send(pipelined=True)
    if needed:
        pipe.execute_command("WAIT", needed, store.replica_timeout_ms)
    with refused_unwritten():
        replies = pipe.execute()
    if needed:
        reached = replies.pop()
        if any(_text(reply[0]) == "ok" for reply in replies):
            store.replicas_reached(reached, needed)
    outcomes = iter(replies)
    return [
        _settle(store, plan, next(outcomes), append, actor, correlation_id)
        if not isinstance(plan, VersionConflict)
        else plan
        for plan, append in zip(planned, appends, strict=True)
    ]


def _settle(
    store: EventStore,
    records: Any,
    reply: Any,
    append: Append,
    actor: Actor,
    correlation_id: str | None,
) -> AppendResult | VersionConflict:
    if _text(reply[0]) == "ok":
        return AppendResult(events=store.committed(records, reply))
    stream, events, expected = append
    try:  # the stream moved since its head was read: decide on its own
        return store.append(
            stream, events, expected_version=expected, actor=actor, correlation_id=correlation_id
        )
    except VersionConflict as conflict:
        return conflict
