"""Appends to several streams acknowledged by one fsync: each on its own, or all or none.

With ``appendfsync always`` Redis fsyncs once per pass of its event loop, before it
replies, so appends sent one after another wait for one fsync each. ``append_each``
sends them in one pipeline: each is the ordinary append script, compare-and-set on its
own stream's head as usual (the script gives out the global positions, so they do not
depend on each other). An append whose stream moved in between is decided again on its
own with ``EventStore.append``. When replicas must confirm appends, one WAIT closes the
pipeline: it counts the replicas that have every append before it.

``append_all`` sends the appends as one script (append_all.lua), which checks every
stream's expected head and Idempotency-Key before it writes anything, so either all the
appends commit or none does, whatever other writers do meanwhile. The script blocks Redis
while it runs (about 1.3 ms per 100 events measured, see docs/benchmarks.md), so one call
takes at most MAX_ALL_EVENTS events.

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
    refused_unwritten,
)
from service.runtime.connection import owner, rerouted

Append = tuple[str, Sequence[DomainEvent], int]  # stream, events, expected version
MAX_ALL_EVENTS = 10_000  # events one append_all may carry: its script blocks Redis meanwhile


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
    if not appends:
        return []
    stream_heads = _heads(store, appends)
    pipe = owner(store.redis, store.keys.log).pipeline(transaction=False)
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
    needed = store.ready_to_send(pipelined=True)
    if needed:
        pipe.execute_command("WAIT", needed, store.replica_timeout_ms)
    with refused_unwritten(), rerouted(store.redis):
        replies = pipe.execute()
    if needed:
        reached = replies.pop()
        if any(_text(reply[0]) == "ok" for reply in replies):
            store.replicas_reached(reached, needed)
    outcomes = iter(replies)
    return [
        _settle(store, plan, next(outcomes), append, actor, correlation_id, keys.get(append[0]))
        if not isinstance(plan, VersionConflict)
        else _moved(store, plan, keys.get(append[0]))
        for plan, append in zip(planned, appends, strict=True)
    ]


def append_all(
    store: EventStore,
    appends: Sequence[Append],
    *,
    actor: Actor,
    correlation_id: str | None = None,
    idempotency: Mapping[str, Idempotency] | None = None,
) -> list[AppendResult]:
    """Every append, in one atomic script, or none: the outcome of each, in order.

    Raises VersionConflict, having written nothing, for the first stream found away from
    its expected version or whose ``idempotency`` key is taken, unless every append's key
    says that these very appends were made before (a resend): their replays are then the
    outcome. Streams must be distinct; at most MAX_ALL_EVENTS events in all."""
    keys = idempotency or {}
    if not appends:
        return []
    if sum(len(events) for _, events, _ in appends) > MAX_ALL_EVENTS:
        raise ValueError(f"append_all takes at most {MAX_ALL_EVENTS} events")
    planned = []
    for (stream, events, expected), raw in zip(appends, _heads(store, appends), strict=True):
        version, stream_prev = _parse_head(_text(raw))
        if version != expected:
            return _taken(store, appends, keys, VersionConflict(stream, expected, version))
        records = store._record(stream, events, version, stream_prev, actor, correlation_id, None)
        planned.append((records, _text(raw) or "", keys.get(stream)))
    reply = store.call_append_all_script(planned)
    outcome = _text(reply[0])
    if outcome == "ok":
        return [
            AppendResult(events=store.committed(records, position))
            for (records, _, _), position in zip(planned, reply[1:], strict=True)
        ]
    stream, _, expected = appends[int(reply[1]) - 1]
    if outcome == "dup":
        actual = store.stream_version(stream)
        return _taken(store, appends, keys, VersionConflict(stream, expected, actual))
    raise VersionConflict(stream, expected, _parse_head(_text(reply[2]))[0])


def _heads(store: EventStore, appends: Sequence[Append]) -> list[Any]:
    """The raw heads of the appends' streams, which must be distinct."""
    streams = [stream for stream, _, _ in appends]
    if len(set(streams)) != len(streams):
        raise ValueError("appends to several streams need distinct streams")
    return list(store.redis.hmget(store.keys.heads, streams))


def _taken(
    store: EventStore,
    appends: Sequence[Append],
    keys: Mapping[str, Idempotency],
    conflict: VersionConflict,
) -> list[AppendResult]:
    """The replays of ``appends`` if every one's Idempotency-Key says it was made, else
    raise ``conflict``."""
    wanted = [keys.get(stream) for stream, _, _ in appends]
    if all(wanted):
        replays = store.idempotent_replays([key for key in wanted if key])
        if all(replays):
            return [AppendResult(replay=replay) for replay in replays]
    raise conflict


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
        return AppendResult(events=store.committed(records, reply[1]))
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
