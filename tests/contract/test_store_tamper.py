"""Tampering with stored events directly in Redis must make ``verify`` fail, at the
position where the log stops being what its hashes say it was.

Redis streams cannot be edited in place, so each attack reads the entries, deletes the
key and re-adds the entries under their original IDs with the attacker's changes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any, cast

import pytest
import redis

from service.ledger.domain.chain import Actor, RecordedEvent, canonical, chain_hash, event_hash
from service.ledger.eventstore import EventStore
from service.ledger.keys import Keys
from service.tracking.domain import events as ev

KEYS = Keys("rt")
Entries = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def history(store: EventStore, system_actor: Actor) -> list[RecordedEvent]:
    """Ten events over three interleaved streams, in global order."""
    appended: list[RecordedEvent] = []

    def append(stream: str, *events: ev.DomainEvent) -> None:
        appended.extend(
            store.append(stream, events, expected_version=None, actor=system_actor).events
        )

    append("programme-1", ev.ProgrammeCreated("1", "Army reform 2026", "", "PGO"))
    append("milestone-1", ev.MilestoneStarted("kick-off"))
    append("milestone-2", ev.MilestoneStarted("kick-off"))
    append("milestone-1", ev.ProgressReported(30, "cameras ordered"), ev.CommentAdded("a"))
    append("milestone-2", ev.ProgressReported(50, "consultation line open"))
    append("milestone-1", ev.ProgressReported(60, "cameras installed"))
    append("milestone-2", ev.MilestoneBlocked("budget"), ev.MilestoneUnblocked("funded"))
    append("milestone-1", ev.MilestoneReportedComplete("all units covered"))
    assert [e.position for e in appended] == list(range(1, 11))
    assert store.sealer.seal_all() == 10
    sealed = list(store.iter_log())
    assert all(e.global_hash for e in sealed)
    assert [dataclasses.replace(e, global_hash=None) for e in sealed] == appended
    return sealed


def rewrite(client: redis.Redis, key: str, attack: Callable[[Entries], Entries]) -> None:
    """Re-add the entries with the attacker's changes to the encoded event ("e"); other
    fields (a stream copy's position "p") are kept as they were."""
    stored = cast(list[tuple[str, dict[str, str]]], client.xrange(key))
    others = {entry_id: fields for entry_id, fields in stored}
    entries: Entries = [(entry_id, json.loads(fields["e"])) for entry_id, fields in stored]
    assert entries, f"nothing stored under {key}"
    pipe = client.pipeline(transaction=True)
    pipe.delete(key)
    for entry_id, event in attack(entries):
        fields = others.get(entry_id, {}) | {"e": canonical(event).decode()}
        pipe.xadd(key, fields, id=entry_id)
    pipe.execute()


def edit(
    position_or_version: int, change: Callable[[dict[str, Any]], None]
) -> Callable[[Entries], Entries]:
    """Attack the entry with that ID number (position in the log, version in a stream)."""

    def attack(entries: Entries) -> Entries:
        for entry_id, event in entries:
            if entry_id == f"{position_or_version}-0":
                change(event)
        return entries

    return attack


def set_note(text: str) -> Callable[[dict[str, Any]], None]:
    def change(event: dict[str, Any]) -> None:
        event["payload"]["note"] = text

    return change


def assert_breach(store: EventStore, position: int, stream: str | None = None) -> None:
    report = store.verify().to_dict()
    assert report["ok"] is False, report
    assert report["first_bad_position"] == position, report
    if stream is not None:
        assert report["stream"] == stream, report


def test_a_clean_log_over_several_streams_verifies(
    store: EventStore, history: list[RecordedEvent]
) -> None:
    report = store.verify(batch=3)
    assert report.ok, report
    assert report.events_checked == len(history) == 10
    assert report.head_position == 10
    assert report.head_hash == history[-1].global_hash
    assert report.to_dict()["first_bad_position"] is None


@pytest.mark.parametrize(
    ("position", "change"),
    [
        pytest.param(6, set_note("cameras were never installed"), id="payload"),
        pytest.param(1, lambda e: e["payload"].update(lead_agency="MoD"), id="first-event"),
        pytest.param(
            10,
            lambda e: e.update(recorded_at="2026-01-01T00:00:00.000000Z"),
            id="last-event-recorded-at",
        ),
        pytest.param(4, lambda e: e["actor"].update(role="overseer"), id="actor"),
        pytest.param(3, lambda e: e.update(type="CompletionVerified"), id="type"),
    ],
)
def test_a_field_rewritten_in_the_log_is_found_at_its_position(
    position: int,
    change: Callable[[dict[str, Any]], None],
    store: EventStore,
    redis_client: redis.Redis,
    history: list[RecordedEvent],
) -> None:
    rewrite(redis_client, KEYS.log, edit(position, change))
    assert_breach(store, position, history[position - 1].stream)


def test_a_rewrite_of_only_the_aggregate_stream_copy_is_found(
    store: EventStore, redis_client: redis.Redis, history: list[RecordedEvent]
) -> None:
    target = history[6]
    assert (target.stream, target.version, target.position) == ("milestone-1", 4, 7)
    rewrite(redis_client, KEYS.stream("milestone-1"), edit(4, set_note("nothing installed")))
    assert store.read_log(after_position=6, limit=1) == [target]  # the log is intact
    assert_breach(store, 7, "milestone-1")


def test_the_same_rewrite_in_both_copies_is_found(
    store: EventStore, redis_client: redis.Redis, history: list[RecordedEvent]
) -> None:
    rewrite(redis_client, KEYS.log, edit(7, set_note("nothing installed")))
    rewrite(redis_client, KEYS.stream("milestone-1"), edit(4, set_note("nothing installed")))
    assert_breach(store, 7, "milestone-1")


def test_rehashing_the_rewritten_event_moves_the_breach_to_the_next_event(
    store: EventStore, redis_client: redis.Redis, history: list[RecordedEvent]
) -> None:
    """The forger recomputes the event's stream hash and its seal; the next seal still
    chains from the original."""

    def rehash(event: dict[str, Any]) -> None:
        event["payload"]["note"] = "nothing installed"
        body = {k: v for k, v in event.items() if k != "hash"}
        event["hash"] = event_hash(history[4].hash, body)  # milestone-1's previous event
        redis_client.hset(
            KEYS.seals, "7", chain_hash(cast(str, history[5].global_hash), event["hash"])
        )

    rewrite(redis_client, KEYS.log, edit(7, rehash))
    assert_breach(store, 8)


def test_a_rewritten_event_whose_seal_was_not_rewritten_is_found_at_its_position(
    store: EventStore, redis_client: redis.Redis, history: list[RecordedEvent]
) -> None:
    def rehash(event: dict[str, Any]) -> None:
        event["payload"]["note"] = "nothing installed"
        body = {k: v for k, v in event.items() if k != "hash"}
        event["hash"] = event_hash(history[4].hash, body)

    rewrite(redis_client, KEYS.log, edit(7, rehash))
    assert_breach(store, 7)


@pytest.mark.parametrize("position", [1, 6, 10])
def test_an_altered_seal_is_found_at_its_position(
    position: int, store: EventStore, redis_client: redis.Redis, history: list[RecordedEvent]
) -> None:
    redis_client.hset(KEYS.seals, str(position), "f" * 64)
    assert_breach(store, position)


def test_a_removed_seal_is_found(
    store: EventStore, redis_client: redis.Redis, history: list[RecordedEvent]
) -> None:
    redis_client.hdel(KEYS.seals, "4")
    assert_breach(store, 5)  # sealed events follow an unsealed one


def test_removing_the_last_seals_is_found_against_the_sealed_head(
    store: EventStore, redis_client: redis.Redis, history: list[RecordedEvent]
) -> None:
    redis_client.hdel(KEYS.seals, "9", "10")
    assert_breach(store, 9)


def test_a_stream_copy_that_moves_its_events_to_other_positions_is_found(
    store: EventStore, redis_client: redis.Redis, history: list[RecordedEvent]
) -> None:
    stored = cast(list[tuple[str, dict[str, str]]], redis_client.xrange(KEYS.stream("milestone-2")))
    pipe = redis_client.pipeline(transaction=True)
    pipe.delete(KEYS.stream("milestone-2"))
    for entry_id, fields in stored:
        pipe.xadd(
            KEYS.stream("milestone-2"), fields | {"p": str(int(fields["p"]) + 1)}, id=entry_id
        )
    pipe.execute()
    report = store.verify()
    assert report.breach is not None and report.breach.stream == "milestone-2", report
    assert "other positions" in report.breach.reason


def test_unsealed_events_verify_against_their_stream_chains(
    store: EventStore, system_actor: Actor, history: list[RecordedEvent]
) -> None:
    store.append(
        "milestone-3", [ev.MilestoneStarted("late")], expected_version=0, actor=system_actor
    )
    report = store.verify()
    assert report.ok, report
    assert (report.head_position, report.sealed_position) == (11, 10)
    assert report.head_hash == history[-1].global_hash
    assert store.sealer.seal_all() == 1
    assert store.verify().sealed_position == 11


def test_an_edit_to_an_unsealed_event_is_found_before_it_is_sealed(
    store: EventStore, redis_client: redis.Redis, system_actor: Actor, history: list[RecordedEvent]
) -> None:
    store.append(
        "milestone-3", [ev.MilestoneStarted("late")], expected_version=0, actor=system_actor
    )
    rewrite(redis_client, KEYS.log, edit(11, lambda e: e.update(type="MilestoneCancelled")))
    assert_breach(store, 11, "milestone-3")


def test_rechaining_the_whole_log_after_a_rewrite_is_found(
    store: EventStore, redis_client: redis.Redis, history: list[RecordedEvent]
) -> None:
    """An attacker who recomputes every hash still cannot match the recorded heads."""

    def rechain(entries: Entries) -> Entries:
        entries[6][1]["payload"]["note"] = "nothing installed"
        stream_heads: dict[str, str] = {}
        global_previous = "0" * 64
        for entry_id, event in entries:
            body = {k: v for k, v in event.items() if k != "hash"}
            event["hash"] = event_hash(stream_heads.get(event["stream"], "0" * 64), body)
            global_previous = chain_hash(global_previous, event["hash"])
            redis_client.hset(KEYS.seals, entry_id.split("-")[0], global_previous)
            stream_heads[event["stream"]] = event["hash"]
        return entries

    rewrite(redis_client, KEYS.log, rechain)
    report = store.verify()
    assert not report.ok, report
    assert report.events_checked == 10


def test_an_event_deleted_from_the_middle_of_the_log_is_found_at_its_position(
    store: EventStore, redis_client: redis.Redis, history: list[RecordedEvent]
) -> None:
    rewrite(redis_client, KEYS.log, lambda entries: [e for e in entries if e[0] != "5-0"])
    assert_breach(store, 5)
    assert store.verify().events_checked == 4


@pytest.mark.parametrize("fix_positions", [False, True], ids=["as-stored", "renumbered"])
def test_two_swapped_events_are_found_at_the_first_of_them(
    fix_positions: bool,
    store: EventStore,
    redis_client: redis.Redis,
    history: list[RecordedEvent],
) -> None:
    def swap(entries: Entries) -> Entries:
        (id_a, a), (id_b, b) = entries[3], entries[7]
        if fix_positions:  # positions are not in the entry: adding one is itself an edit
            a["position"], b["position"] = 8, 4
        entries[3], entries[7] = (id_a, b), (id_b, a)
        return entries

    rewrite(redis_client, KEYS.log, swap)
    assert_breach(store, 4)


@pytest.mark.parametrize("dropped", [1, 3])
def test_a_truncated_tail_is_found_at_the_first_missing_position(
    dropped: int, store: EventStore, redis_client: redis.Redis, history: list[RecordedEvent]
) -> None:
    rewrite(redis_client, KEYS.log, lambda entries: entries[:-dropped])
    report = store.verify()
    assert_breach(store, 11 - dropped)
    assert report.events_checked == 10 - dropped
    assert report.breach is not None and "missing" in report.breach.reason


def test_events_moved_to_other_entry_ids_are_found(
    store: EventStore, redis_client: redis.Redis, history: list[RecordedEvent]
) -> None:
    """Contents and chains intact, but reads by position would return the wrong events."""

    def open_a_gap(entries: Entries) -> Entries:
        return [
            (entry_id if number < 6 else f"{number + 1}-0", event)
            for number, (entry_id, event) in enumerate(entries, start=1)
        ]

    rewrite(redis_client, KEYS.log, open_a_gap)
    assert_breach(store, 6)
    report = store.verify()
    assert report.breach is not None and "expected position 6" in report.breach.reason


def test_a_stream_dropped_from_the_heads_is_reported(store: EventStore, system_actor) -> None:
    from service.tracking.domain import events as ev

    store.append("milestone-x", [ev.CommentAdded("a")], expected_version=0, actor=system_actor)
    store.redis.hdel(store.keys.heads, "milestone-x")
    report = store.verify()
    assert not report.ok and report.breach is not None
    assert report.breach.stream == "milestone-x"


def test_a_rechained_stream_copy_is_found_at_the_changed_event_not_the_log_end(
    store: EventStore, redis_client: redis.Redis, history: list[RecordedEvent]
) -> None:
    """The forger edits milestone-1's copy of its second event and recomputes the copy's
    own chain from there on: the breach is that event's global position (4), not 11."""

    def rechain(entries: Entries) -> Entries:
        entries[1][1]["payload"]["note"] = "no cameras were ordered"
        previous = "0" * 64
        for _, event in entries:
            body = {k: v for k, v in event.items() if k != "hash"}
            event["hash"] = previous = event_hash(previous, body)
        return entries

    rewrite(redis_client, KEYS.stream("milestone-1"), rechain)
    report = store.verify()
    assert report.breach is not None, report
    assert (report.breach.position, report.breach.stream) == (4, "milestone-1"), report
    assert "does not match the global log" in report.breach.reason


def test_a_stream_copy_that_moves_one_event_is_found_at_that_event(
    store: EventStore, redis_client: redis.Redis, history: list[RecordedEvent]
) -> None:
    key = KEYS.stream("milestone-2")
    stored = cast(list[tuple[str, dict[str, str]]], redis_client.xrange(key))
    assert [fields["p"] for _, fields in stored] == ["3", "6", "8", "9"]
    redis_client.delete(key)
    for entry_id, fields in stored:
        moved = {"p": "7"} if fields["p"] == "8" else {}
        redis_client.xadd(key, fields | moved, id=entry_id)
    report = store.verify()
    assert report.breach is not None, report
    assert (report.breach.position, report.breach.stream) == (8, "milestone-2"), report
    assert "other positions" in report.breach.reason
