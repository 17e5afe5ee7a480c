"""append_all, which appends a bulk report: appends to many streams commit all together or
not at all, whoever writes meanwhile, and leave the chains, the seals and the Merkle tree
as single appends would."""

from __future__ import annotations

import itertools

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.ledger import batch
from service.ledger.batch import MAX_ALL_EVENTS, Append, append_all
from service.ledger.domain import merkle
from service.ledger.domain.chain import Actor
from service.ledger.eventstore import (
    EventStore,
    Idempotency,
    IdempotencyMismatch,
    Replay,
    VersionConflict,
)
from service.ledger.keys import Keys
from service.runtime.clock import FrozenClock
from tests.contract.conftest import Backend
from tests.contract.test_store_batch import comment, interloper
from tests.contract.test_store_tree import leaves, reference

PREFIXES = itertools.count()


def state(store: EventStore) -> tuple[int, dict[str, str], int]:
    """Everything an append changes: the last position, every head, the log's length."""
    heads = {str(k): str(v) for k, v in store.redis.hgetall(store.keys.heads).items()}
    return store.head_position(), heads, int(store.redis.xlen(store.keys.log))


def sealed_and_grown(store: EventStore) -> None:
    """The sealer and the tree grower ran over everything, and all of it verifies."""
    store.sealer.seal_all()
    store.tree.grow_all()
    size = store.head_position()
    assert store.tree.size() == size
    if size:
        assert store.tree.root(size) == merkle.root(size, reference(leaves(store)))
    assert store.verify().ok


def test_appends_commit_together_in_order(store: EventStore, system_actor: Actor) -> None:
    store.append("milestone-b", comment("before"), expected_version=0, actor=system_actor)
    appends: list[Append] = [
        ("milestone-a", comment("a1") + comment("a2"), 0),
        ("milestone-b", comment("b"), 1),
        ("milestone-c", comment("c1") + comment("c2") + comment("c3"), 0),
    ]
    outcomes = append_all(store, appends, actor=system_actor, correlation_id="report-1")
    assert [[(e.position, e.version) for e in o.events] for o in outcomes] == [
        [(2, 1), (3, 2)],
        [(4, 2)],
        [(5, 1), (6, 2), (7, 3)],
    ]
    stored = store.read_stream("milestone-c", sealed=False)
    assert [e.payload["text"] for e in stored] == ["c1", "c2", "c3"]
    assert {e.correlation_id for e in store.read_log(1, sealed=False)} == {"report-1"}
    sealed_and_grown(store)


def test_a_stream_away_from_its_expected_version_refuses_them_all(
    store: EventStore, system_actor: Actor
) -> None:
    store.append("milestone-b", comment("before"), expected_version=0, actor=system_actor)
    before = state(store)
    appends: list[Append] = [("milestone-a", comment("a"), 0), ("milestone-b", comment("b"), 0)]
    with pytest.raises(VersionConflict) as conflict:
        append_all(store, appends, actor=system_actor)
    assert (conflict.value.stream, conflict.value.expected, conflict.value.actual) == (
        "milestone-b",
        0,
        1,
    )
    assert state(store) == before


def test_a_writer_between_the_read_and_the_script_refuses_them_all(
    redis_client: redis.Redis, clock: FrozenClock, system_actor: Actor
) -> None:
    plain = EventStore(redis_client, clock, Keys("rt"))
    plain.append("milestone-b", comment("first"), expected_version=0, actor=system_actor)
    # Another writer appends to the last stream right after the heads are read: the
    # script finds it moved and writes nothing, not even the streams before it.
    raced = EventStore(interloper(redis_client, plain, "milestone-c"), clock, Keys("rt"))
    appends: list[Append] = [
        ("milestone-a", comment("a"), 0),
        ("milestone-b", comment("b"), 1),
        ("milestone-c", comment("c"), 0),
    ]
    with pytest.raises(VersionConflict) as conflict:
        append_all(raced, appends, actor=system_actor)
    assert (conflict.value.stream, conflict.value.actual) == ("milestone-c", 1)
    assert plain.stream_version("milestone-a") == 0
    assert plain.stream_version("milestone-b") == 1
    assert [e.payload["text"] for e in plain.read_log(0, sealed=False)] == ["first", "in between"]
    sealed_and_grown(plain)


def test_the_same_script_sent_twice_commits_once(store: EventStore, system_actor: Actor) -> None:
    """A client set to resend a command whose reply was lost sends the script again."""
    store.append("milestone-x", comment("x"), expected_version=0, actor=system_actor)
    planned = [
        (store._record(stream, comment(stream), 0, "0" * 64, system_actor, None, None), "", None)
        for stream in ("milestone-a", "milestone-b")
    ]
    first = store.call_append_all_script(planned)
    again = store.call_append_all_script(planned)
    assert first == again == ["ok", "2", "3"]
    assert store.head_position() == 3
    assert store.verify().ok


def test_idempotency_keys_append_once_and_a_taken_key_refuses_them_all(
    store: EventStore, system_actor: Actor
) -> None:
    keys = {
        s: Idempotency("token-1", f"report/{s}", "file") for s in ("milestone-a", "milestone-b")
    }
    appends: list[Append] = [("milestone-a", comment("a"), 0), ("milestone-b", comment("b"), 0)]
    append_all(store, appends, actor=system_actor, idempotency=keys)
    # Sent again as it was: nothing appended, the first outcome named.
    again = append_all(store, appends, actor=system_actor, idempotency=keys)
    assert [o.replay for o in again] == [Replay("milestone-a", 1, 1), Replay("milestone-b", 1, 1)]
    assert store.head_position() == 2

    # Another request took the key one stream's append carries: none of them is made.
    store.append("milestone-d", comment("d"), expected_version=0, actor=system_actor)
    other_request = Idempotency("token-1", "taken", "another request")
    store.append(
        "milestone-e",
        comment("e"),
        expected_version=0,
        actor=system_actor,
        idempotency=other_request,
    )
    before = state(store)
    mixed = {
        "milestone-c": Idempotency("token-1", "fresh", "file"),
        "milestone-d": Idempotency("token-1", "taken", "file"),
    }
    with pytest.raises(IdempotencyMismatch):
        append_all(
            store,
            [("milestone-c", comment("c"), 0), ("milestone-d", comment("d2"), 1)],
            actor=system_actor,
            idempotency=mixed,
        )
    assert state(store) == before
    assert store.idempotent_replay(mixed["milestone-c"]) is None
    # A stream without a key among them: the taken key is a conflict, nothing is made.
    with pytest.raises(VersionConflict) as conflict:
        append_all(
            store,
            [("milestone-c", comment("c"), 0), ("milestone-d", comment("d2"), 1)],
            actor=system_actor,
            idempotency={"milestone-d": mixed["milestone-d"]},
        )
    assert (conflict.value.stream, conflict.value.actual) == ("milestone-d", 1)
    assert state(store) == before


def test_a_report_of_ten_thousand_events_is_one_script_and_more_is_refused(
    store: EventStore, system_actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    appends: list[Append] = [
        (f"milestone-{n}", comment("a") * 10, 0) for n in range(1000)
    ]  # 10,000 events on 1,000 streams
    outcomes = append_all(store, appends, actor=system_actor)
    assert outcomes[-1].events[-1].position == store.head_position() == 10_000
    assert store.verify().ok

    monkeypatch.setattr(batch, "MAX_ALL_EVENTS", 10)
    with pytest.raises(ValueError, match="at most 10 events"):
        append_all(store, [("milestone-z", comment("z") * 11, 0)], actor=system_actor)
    assert store.stream_version("milestone-z") == 0
    assert MAX_ALL_EVENTS >= 10_000


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    existing=st.lists(st.integers(0, 3), min_size=1, max_size=6),
    events=st.lists(st.integers(1, 4), min_size=6, max_size=6),
    off_by=st.lists(st.sampled_from([0, 0, 0, -1, 1]), min_size=6, max_size=6),
)
def test_all_or_nothing_for_any_appends(
    backend: Backend,
    clock: FrozenClock,
    system_actor: Actor,
    existing: list[int],
    events: list[int],
    off_by: list[int],
) -> None:
    store = EventStore(backend.connect(), clock, Keys(f"p{next(PREFIXES)}"))
    for n, count in enumerate(existing):
        for version in range(count):
            store.append(f"s-{n}", comment("x"), expected_version=version, actor=system_actor)
    appends: list[Append] = [
        (f"s-{n}", comment("y") * events[n], max(0, count + off_by[n]))
        for n, count in enumerate(existing)
    ]
    before = state(store)
    if all(expected == count for (_, _, expected), count in zip(appends, existing, strict=False)):
        append_all(store, appends, actor=system_actor)
        assert [store.stream_version(f"s-{n}") for n in range(len(existing))] == [
            count + events[n] for n, count in enumerate(existing)
        ]
        assert store.head_position() == before[0] + sum(events[: len(existing)])
    else:
        with pytest.raises(VersionConflict):
            append_all(store, appends, actor=system_actor)
        assert state(store) == before
    sealed_and_grown(store)
