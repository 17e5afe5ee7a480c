"""Several single-stream appends acknowledged by one fsync.

With ``appendfsync always`` Redis fsyncs once per pass of its event loop, before it
replies, so appends sent one after another wait for one fsync each. Here they go out in
one pipeline: each is the ordinary append script, compare-and-set on its own stream's
head as usual, with the global positions and hashes chained in advance as if the
previous ones had committed. If another writer moves the global head in between, the
appends that were refused for it are retried one by one with ``EventStore.append``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.domain.events import DomainEvent
from service.store.chain import Actor
from service.store.eventstore import (
    AppendResult,
    EventStore,
    VersionConflict,
    _encode_head,
    _parse_head,
    _text,
)
from service.store.keys import GLOBAL_HEAD

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
    keys = store.keys
    *stream_heads, global_head = store.redis.hmget(keys.heads, [*streams, GLOBAL_HEAD])
    expected_global = _text(global_head) or ""
    position, global_prev = _parse_head(expected_global)
    pipe = store.redis.pipeline(transaction=False)
    planned: list[Any] = []
    for (stream, events, expected), raw in zip(appends, stream_heads, strict=True):
        version, stream_prev = _parse_head(_text(raw))
        if version != expected:
            planned.append(VersionConflict(stream, expected, version))
            continue
        records = store._record(
            stream, events, version, stream_prev, position, global_prev, actor, correlation_id, None
        )
        last = records[-1]
        new_global = _encode_head(last.position, last.global_hash)
        store.call_append_script(records, _text(raw), expected_global, client=pipe)
        planned.append(records)
        position, global_prev, expected_global = last.position, last.global_hash, new_global
    replies = iter(pipe.execute())
    return [
        _settle(store, plan, next(replies), append, actor, correlation_id)
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
    outcome = _text(reply[0])
    stream, events, expected = append
    if outcome == "ok":
        last = records[-1]  # the store's head guesses stay right for its next append
        store._remember(
            stream,
            _encode_head(last.version, last.hash),
            _encode_head(last.position, last.global_hash),
        )
        return AppendResult(events=records)
    if outcome == "conflict":
        return VersionConflict(stream, expected, _parse_head(_text(reply[1]))[0])
    try:  # "moved": the log moved under the chain we predicted; append on its own
        return store.append(
            stream, events, expected_version=expected, actor=actor, correlation_id=correlation_id
        )
    except VersionConflict as conflict:
        return conflict
