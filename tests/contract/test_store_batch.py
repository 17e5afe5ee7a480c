"""append_each, which the scan uses to commit its alerts under one fsync: every append
keeps its own compare-and-set, and a writer slipping in between is survived."""

from __future__ import annotations

from typing import Any, cast

import pytest
import redis

from service.ledger.batch import append_each
from service.ledger.domain.chain import Actor
from service.ledger.eventstore import (
    AppendResult,
    EventStore,
    Idempotency,
    IdempotencyMismatch,
    Replay,
    VersionConflict,
)
from service.ledger.keys import Keys
from service.runtime.clock import FrozenClock
from service.tracking.domain import events as ev


class Interloper:
    """A Redis client that lets another writer append once, right after heads are read."""

    def __init__(self, client: redis.Redis, other: EventStore, stream: str) -> None:
        self.client, self.other, self.stream = client, other, stream
        self.done = False

    def hmget(self, *args: Any, **kwargs: Any) -> Any:
        heads = self.client.hmget(*args, **kwargs)
        if self.done:
            return heads
        self.done = True
        self.other.append(
            self.stream,
            [ev.CommentAdded("in between")],
            expected_version=None,
            actor=Actor("other", "reporter", "PGO"),
        )
        return heads

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def interloper(client: redis.Redis, other: EventStore, stream: str) -> redis.Redis:
    return cast(redis.Redis, Interloper(client, other, stream))


def comment(text: str) -> list[ev.DomainEvent]:
    return [ev.CommentAdded(text)]


def test_appends_commit_in_order_and_conflicts_append_nothing(
    store: EventStore, system_actor: Actor
) -> None:
    store.append("alert-b", comment("first"), expected_version=0, actor=system_actor)
    outcomes = append_each(
        store,
        [("alert-a", comment("a"), 0), ("alert-b", comment("b"), 0), ("alert-c", comment("c"), 0)],
        actor=system_actor,
    )
    assert isinstance(outcomes[0], AppendResult) and isinstance(outcomes[2], AppendResult)
    assert isinstance(outcomes[1], VersionConflict)
    assert [outcomes[0].events[0].position, outcomes[2].events[0].position] == [2, 3]
    assert store.stream_version("alert-b") == 1
    assert store.verify().ok


def test_a_writer_in_between_is_survived(
    redis_client: redis.Redis, clock: FrozenClock, system_actor: Actor
) -> None:
    plain = EventStore(redis_client, clock, Keys("rt"))
    # Someone appends elsewhere: the predicted chain is stale, every append is retried.
    moved = EventStore(interloper(redis_client, plain, "milestone-x"), clock, Keys("rt"))
    outcomes = append_each(
        moved, [("alert-a", comment("a"), 0), ("alert-b", comment("b"), 0)], actor=system_actor
    )
    assert all(isinstance(outcome, AppendResult) for outcome in outcomes)

    # Someone appends to one of our streams: that one is refused, the others still land.
    raced = EventStore(interloper(redis_client, plain, "alert-d"), clock, Keys("rt"))
    outcomes = append_each(
        raced,
        [("alert-c", comment("c"), 0), ("alert-d", comment("d"), 0), ("alert-e", comment("e"), 0)],
        actor=system_actor,
    )
    assert [type(outcome).__name__ for outcome in outcomes] == [
        "AppendResult",
        "VersionConflict",
        "AppendResult",
    ]
    assert [e.payload["text"] for e in plain.read_stream("alert-d")] == ["in between"]
    assert plain.verify().ok
    assert plain.head_position() == 6


def test_appends_with_idempotency_keys_append_once_and_replay_after(
    store: EventStore, system_actor: Actor
) -> None:
    keys = {
        stream: Idempotency("token-1", f"report/{stream}", "fingerprint")
        for stream in ("milestone-a", "milestone-b")
    }
    appends = [("milestone-a", comment("a"), 0), ("milestone-b", comment("b"), 0)]
    first = append_each(store, appends, actor=system_actor, idempotency=keys)
    assert [cast(AppendResult, o).version for o in first] == [1, 1]
    # Sent again as it was (the reply was lost): nothing appended, the first outcome named.
    again = append_each(store, appends, actor=system_actor, idempotency=keys)
    assert [cast(AppendResult, o).replay for o in again] == [
        Replay("milestone-a", 1, 1),
        Replay("milestone-b", 1, 1),
    ]
    assert store.head_position() == 2
    assert store.idempotent_replays([*keys.values(), Idempotency("token-1", "unused", "f")]) == [
        Replay("milestone-a", 1, 1),
        Replay("milestone-b", 1, 1),
        None,
    ]
    other = {"milestone-a": Idempotency("token-1", "report/milestone-a", "another file")}
    with pytest.raises(IdempotencyMismatch):
        append_each(store, appends[:1], actor=system_actor, idempotency=other)
