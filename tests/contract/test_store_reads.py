"""Reading what was appended: one stream by version, the global log by position (paged
or iterated in batches), the children of a parent, and reads pipelined into one round
trip. Every reader sees the same events, numbered without gaps."""

from __future__ import annotations

import dataclasses

import pytest

from service.ledger.domain.chain import Actor, RecordedEvent
from service.ledger.eventstore import EventStore, VersionConflict
from service.ledger.reads import Read, replies, together
from service.tracking.domain import events as ev


def test_sequential_appends_number_versions_and_positions_contiguously(
    store: EventStore, system_actor: Actor
) -> None:
    first = store.append(
        "programme-1",
        [ev.ProgrammeCreated("1", "Army reform 2026", "", "PGO")],
        expected_version=0,
        actor=system_actor,
        parent="",
    )
    batch = store.append(
        "milestone-1",
        [ev.CommentAdded("x"), ev.CommentAdded("y")],
        expected_version=0,
        actor=system_actor,
    )
    again = store.append(
        "milestone-1", [ev.CommentAdded("z")], expected_version=2, actor=system_actor
    )
    assert [e.position for e in first.events + batch.events + again.events] == [1, 2, 3, 4]
    assert [e.version for e in batch.events + again.events] == [1, 2, 3]
    assert store.read_stream("milestone-1", after_version=1) == batch.events[1:] + again.events
    assert store.read_log(after_position=1, limit=2) == batch.events
    assert store.children("") == ["programme-1"]
    with pytest.raises(VersionConflict) as conflict:
        store.append(
            "milestone-1", [ev.CommentAdded("late")], expected_version=2, actor=system_actor
        )
    assert (conflict.value.expected, conflict.value.actual) == (2, 3)
    assert store.head_position() == 4
    assert store.verify().ok


@pytest.fixture
def interleaved(store: EventStore, system_actor: Actor) -> list[RecordedEvent]:
    """Seven events over three streams, two of them children of a programme."""
    appended: list[RecordedEvent] = []
    for stream, texts, parent in [
        ("initiative-1", ["i1"], "programme-1"),
        ("milestone-1", ["m1", "m2"], None),
        ("initiative-2", ["i2"], "programme-1"),
        ("milestone-1", ["m3"], None),
        ("initiative-1", ["i3", "i4"], None),
    ]:
        result = store.append(
            stream,
            [ev.CommentAdded(text) for text in texts],
            expected_version=None,
            actor=system_actor,
            parent=parent,
        )
        appended += result.events
    return appended


@pytest.mark.parametrize("batch", [1, 3, 7, 1000])
def test_iterating_the_log_in_any_batch_size_yields_every_event_once_in_order(
    batch: int, store: EventStore, interleaved: list[RecordedEvent]
) -> None:
    assert list(store.iter_log(batch=batch, sealed=False)) == interleaved
    assert list(store.iter_log(after_position=4, batch=batch, sealed=False)) == interleaved[4:]


def test_pages_of_the_log_join_up_to_the_whole_log(
    store: EventStore, interleaved: list[RecordedEvent]
) -> None:
    pages = [store.read_log(after, limit=3, sealed=False) for after in (0, 3, 6)]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [event for page in pages for event in page] == interleaved
    assert store.read_log(after_position=7) == []


def test_a_stream_holds_its_own_events_with_their_global_positions(
    store: EventStore, interleaved: list[RecordedEvent]
) -> None:
    milestone = store.read_stream("milestone-1")
    assert [(e.version, e.position, e.payload["text"]) for e in milestone] == [
        (1, 2, "m1"),
        (2, 3, "m2"),
        (3, 5, "m3"),
    ]
    assert store.read_stream("milestone-1", after_version=1, limit=1) == milestone[1:2]
    assert store.read_stream("milestone-9") == []
    assert store.stream_exists("milestone-1") and not store.stream_exists("milestone-9")
    assert store.stream_version("initiative-1") == 3


def test_reads_carry_global_hashes_once_sealed_unless_asked_not_to(
    store: EventStore, interleaved: list[RecordedEvent]
) -> None:
    store.sealer.seal_all()
    sealed = store.read_stream("initiative-1")
    assert all(e.global_hash for e in sealed)
    assert [dataclasses.replace(e, global_hash=None) for e in sealed] == store.read_stream(
        "initiative-1", sealed=False
    )
    assert [store.sealer.global_hash_at(e.position) for e in sealed] == [
        e.global_hash for e in sealed
    ]


def test_children_are_listed_per_parent_in_creation_order(
    store: EventStore, interleaved: list[RecordedEvent]
) -> None:
    assert store.children("programme-1") == ["initiative-1", "initiative-2"]
    assert store.children("programme-2") == []


def counted_pipelines(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one for each pipeline the store's client opens from now on."""
    pipelines: list[int] = []
    pipeline = store.redis.pipeline

    def counted(*args: object, **kwargs: object) -> object:
        pipelines.append(1)
        return pipeline(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store.redis, "pipeline", counted)
    return pipelines


def test_a_stream_read_gives_the_same_events_alone_or_pipelined_with_other_reads(
    store: EventStore, interleaved: list[RecordedEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    milestone, initiative = store.stream_read("milestone-1", 1), store.stream_read("initiative-1")
    alone = [milestone.run(store.redis), initiative.run(store.redis)]
    pipelines = counted_pipelines(store, monkeypatch)
    head: Read[str | None] = Read(
        lambda client: client.hget(store.keys.heads, "milestone-1"), lambda reply: reply
    )
    raw = replies(store.redis, milestone, initiative, head)
    together = [milestone.finish(raw[0]), initiative.finish(raw[1])]
    assert pipelines == [1]
    assert together == alone
    assert [e.payload["text"] for e in together[0]] == ["m2", "m3"]
    assert [e.version for e in together[1]] == [1, 2, 3]
    assert head.finish(raw[2]) == f"3:{together[0][-1].hash}"


def test_reads_made_one_give_the_same_results_in_one_round_trip(
    store: EventStore, interleaved: list[RecordedEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``together``: a read of several commands, alone or beside other reads, in order."""
    milestone, initiative = store.stream_read("milestone-1", 1), store.stream_read("initiative-1")
    alone = (milestone.run(store.redis), initiative.run(store.redis), store.head_position())
    last = interleaved[-1]
    assert store.head_read().run(store.redis) == (last.position, last.position, last.id)

    def both(*found: object) -> tuple[object, ...]:
        return found

    pair = together(both, milestone, store.head_read(), initiative)
    assert pair.commands == 4
    pipelines = counted_pipelines(store, monkeypatch)
    found = pair.run(store.redis)
    assert found == (alone[0], (last.position, last.position, last.id), alone[1])
    tail = store.stream_read("milestone-1", 2)
    beside = replies(store.redis, tail, pair)
    assert tail.finish(beside[0]) == alone[0][1:] and pair.finish(beside[1]) == found
    assert pipelines == [1, 1]


def test_the_head_read_of_an_empty_log(store: EventStore) -> None:
    assert store.head_read().run(store.redis) == (0, 0, None)
