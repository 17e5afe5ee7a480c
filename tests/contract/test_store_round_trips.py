"""An append whose heads this store already knows costs one round trip, and a stale
guess (another instance appended meanwhile) never weakens optimistic concurrency."""

from __future__ import annotations

import pytest
import redis

from service.ledger.domain.chain import Actor
from service.ledger.eventstore import EventStore, VersionConflict
from service.ledger.keys import Keys
from service.runtime.clock import FrozenClock
from service.tracking.domain import events as ev


def sent(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The commands the store sends from now on (not those its scripts run inside Redis)."""
    names: list[str] = []
    send = store.redis.execute_command

    def counting(*args: object, **options: object) -> object:
        names.append(str(args[0]).upper())
        return send(*args, **options)

    monkeypatch.setattr(store.redis, "execute_command", counting)
    return names


def test_known_heads_skip_the_read(
    store: EventStore, system_actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.append("milestone-a", [ev.CommentAdded("one")], expected_version=0, actor=system_actor)
    commands = sent(store, monkeypatch)
    store.append("milestone-a", [ev.CommentAdded("two")], expected_version=1, actor=system_actor)
    assert commands == ["EVALSHA"]


def test_reading_a_stream_to_its_end_tells_the_next_append_its_head(
    store: EventStore,
    redis_client: redis.Redis,
    clock: FrozenClock,
    system_actor: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store.append("milestone-a", [ev.CommentAdded("one")], expected_version=0, actor=system_actor)
    fresh = EventStore(redis_client, clock, Keys("rt"))
    fresh.append("milestone-b", [ev.CommentAdded("b")], expected_version=0, actor=system_actor)
    version = fresh.read_stream("milestone-a")[-1].version
    commands = sent(fresh, monkeypatch)
    fresh.append(
        "milestone-a", [ev.CommentAdded("two")], expected_version=version, actor=system_actor
    )
    assert commands == ["EVALSHA"]


def test_a_stale_guess_still_refuses_a_stale_expected_version(
    store: EventStore,
    redis_client: redis.Redis,
    clock: FrozenClock,
    system_actor: Actor,
) -> None:
    other = EventStore(redis_client, clock, Keys("rt"))
    store.append("milestone-a", [ev.CommentAdded("one")], expected_version=0, actor=system_actor)
    other.append("milestone-a", [ev.CommentAdded("two")], expected_version=1, actor=system_actor)
    with pytest.raises(VersionConflict) as refused:
        store.append(
            "milestone-a", [ev.CommentAdded("late")], expected_version=1, actor=system_actor
        )
    assert refused.value.actual == 2
    assert [e.payload["text"] for e in store.read_stream("milestone-a")] == ["one", "two"]
    assert store.head_position() == 2


def test_a_stale_guess_after_other_writers_is_corrected_and_the_chains_stay_whole(
    store: EventStore,
    redis_client: redis.Redis,
    clock: FrozenClock,
    system_actor: Actor,
) -> None:
    other = EventStore(redis_client, clock, Keys("rt"))
    store.append("milestone-a", [ev.CommentAdded("a1")], expected_version=0, actor=system_actor)
    other.append("milestone-b", [ev.CommentAdded("b1")], expected_version=0, actor=system_actor)
    other.append("milestone-a", [ev.CommentAdded("a2")], expected_version=None, actor=system_actor)
    result = store.append(
        "milestone-a", [ev.CommentAdded("a3")], expected_version=None, actor=system_actor
    )
    assert (result.events[0].version, result.events[0].position) == (3, 4)
    assert store.verify().ok


def test_an_append_asked_to_wake_sets_the_flag_once_in_the_same_call(
    store: EventStore,
    redis_client: redis.Redis,
    system_actor: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store.wake_on_append("{rt}:projector:wake", 60_000)
    quiet = store.append(
        "milestone-a", [ev.CommentAdded("1")], expected_version=0, actor=system_actor
    )
    assert quiet.woke is None and not redis_client.exists("{rt}:projector:wake")
    commands = sent(store, monkeypatch)
    first = store.append(
        "milestone-a", [ev.CommentAdded("2")], expected_version=1, actor=system_actor, wake=True
    )
    second = store.append(
        "milestone-a", [ev.CommentAdded("3")], expected_version=2, actor=system_actor, wake=True
    )
    assert (first.woke, second.woke) == (True, False)
    assert commands == ["EVALSHA", "EVALSHA"]
    assert 0 < redis_client.pttl("{rt}:projector:wake") <= 60_000
