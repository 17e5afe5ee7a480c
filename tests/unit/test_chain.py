"""The hash chains: an honest log verifies, and any edit, deletion or reordering is found
at the first position it affects. Truncating the tail is out of scope here: it can only
be seen against a separately kept head hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from service.ledger.domain.chain import (
    GENESIS,
    RecordedEvent,
    canonical,
    chain_hash,
    event_hash,
    verify_events,
)

modest = settings(max_examples=200, deadline=None)
ROLES = ["viewer", "reporter", "overseer", "admin"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
payloads = st.dictionaries(st.text(max_size=6), json_values, min_size=1, max_size=3)
actors = st.fixed_dictionaries(
    {
        "token_id": st.sampled_from(["tok-1", "tok-2"]),
        "role": st.sampled_from(ROLES),
        "agency": st.sampled_from([None, "ministry-of-defence", "генпрокуратура"]),
    }
)
bodies = st.fixed_dictionaries(
    {
        "stream": st.sampled_from(["milestone-a", "milestone-b", "programme-p"]),
        "type": st.sampled_from(["MilestonePlanned", "ProgressReported", "CommentAdded"]),
        "schema_version": st.integers(min_value=1, max_value=3),
        "recorded_at": st.datetimes().map(lambda at: at.isoformat() + "Z"),
        "actor": actors,
        "correlation_id": st.none() | st.just("corr-1"),
        "causation_id": st.none() | st.just("evt-0"),
        "payload": payloads,
    }
)


def build_chain(drawn: list[dict[str, Any]]) -> list[RecordedEvent]:
    """Number and hash the bodies the way the store does: per-stream and global chains."""
    heads: dict[str, tuple[int, str]] = {}
    global_head = GENESIS
    log: list[RecordedEvent] = []
    for position, fields in enumerate(drawn, start=1):
        version, previous = heads.get(fields["stream"], (0, GENESIS))
        body: dict[str, Any] = {"id": f"evt-{position}", "version": version + 1} | fields
        digest = event_hash(previous, body)
        global_head = chain_hash(global_head, digest)
        log.append(RecordedEvent(**body, position=position, hash=digest, global_hash=global_head))
        heads[fields["stream"]] = (version + 1, digest)
    return log


chains = st.lists(bodies, min_size=1, max_size=6).map(build_chain)


REPLACEMENTS: dict[str, st.SearchStrategy[Any]] = {
    "payload": json_values,
    "type": st.sampled_from(["CompletionVerified", "MilestoneCancelled"]),
    "recorded_at": st.text(max_size=32),
    "stream": st.sampled_from(["milestone-a", "milestone-b", "milestone-z"]),
    "id": st.uuids().map(str),
}


def different(data: st.DataObject, strategy: st.SearchStrategy[Any], old: Any) -> Any:
    """A value whose canonical encoding differs from that of ``old``."""
    return data.draw(strategy.filter(lambda new: canonical(new) != canonical(old)))


def tamper(data: st.DataObject, event: RecordedEvent, field: str) -> RecordedEvent:
    if field == "payload":
        key = data.draw(st.sampled_from(sorted(event.payload)))
        value = different(data, json_values, event.payload[key])
        return dataclasses.replace(event, payload=event.payload | {key: value})
    if field == "actor":
        role = data.draw(st.sampled_from([r for r in ROLES if r != event.actor["role"]]))
        return dataclasses.replace(event, actor=event.actor | {"role": role})
    if field in ("version", "position"):
        delta = data.draw(st.integers(min_value=-3, max_value=3).filter(bool))
        return dataclasses.replace(event, **{field: getattr(event, field) + delta})
    value = different(data, REPLACEMENTS[field], getattr(event, field))
    return dataclasses.replace(event, **{field: value})


@modest
@given(chains)
def test_an_honest_chain_verifies(log: list[RecordedEvent]) -> None:
    report = verify_events(log)
    assert report.ok
    assert report.breach is None
    assert report.events_checked == len(log)
    assert report.head_position == len(log)
    assert report.head_hash == log[-1].global_hash


@modest
@given(chains)
def test_a_chain_survives_export_and_import(log: list[RecordedEvent]) -> None:
    imported = [RecordedEvent.from_json(event.to_json()) for event in log]
    assert imported == log
    assert verify_events(imported).ok


@modest
@given(chains, st.data())
def test_an_unsealed_tail_verifies_up_to_the_seal(
    log: list[RecordedEvent], data: st.DataObject
) -> None:
    """Events the sealer has not reached yet carry no global hash: they are checked
    against their stream chains and counted, and the head hash is the sealed one."""
    sealed = data.draw(st.integers(min_value=0, max_value=len(log)))
    tail = [dataclasses.replace(event, global_hash=None) for event in log[sealed:]]
    report = verify_events([*log[:sealed], *tail])
    assert report.ok
    assert (report.head_position, report.sealed_position) == (len(log), sealed)
    assert report.head_hash == (log[sealed - 1].global_hash if sealed else GENESIS)


@modest
@given(st.lists(bodies, min_size=2, max_size=6).map(build_chain), st.data())
def test_a_seal_after_an_unsealed_event_is_a_breach(
    log: list[RecordedEvent], data: st.DataObject
) -> None:
    """Seals form a prefix of the log: a hole in them means a seal was removed."""
    index = data.draw(st.integers(min_value=0, max_value=len(log) - 2))
    holed = [*log[:index], dataclasses.replace(log[index], global_hash=None), *log[index + 1 :]]
    report = verify_events(holed)
    assert report.breach is not None
    assert report.breach.position == index + 2


@modest
@given(chains, st.data())
def test_an_edit_in_the_unsealed_tail_is_still_found(
    log: list[RecordedEvent], data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(log) - 1))
    unsealed = [dataclasses.replace(event, global_hash=None) for event in log]
    edited = dataclasses.replace(unsealed[index], recorded_at=log[index].recorded_at + "Z")
    report = verify_events([*unsealed[:index], edited, *unsealed[index + 1 :]])
    assert report.breach is not None
    assert report.breach.position == index + 1


def test_an_empty_log_verifies_to_genesis() -> None:
    report = verify_events([])
    assert (report.ok, report.events_checked, report.head_position) == (True, 0, 0)
    assert report.head_hash == GENESIS


@modest
@given(
    chains,
    st.sampled_from(
        ["payload", "type", "actor", "recorded_at", "version", "position", "stream", "id"]
    ),
    st.data(),
)
def test_changing_one_field_of_one_event_is_found_at_that_event(
    log: list[RecordedEvent], field: str, data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(log) - 1))
    tampered = tamper(data, log[index], field)
    assert canonical(tampered.to_dict()) != canonical(log[index].to_dict())
    report = verify_events([*log[:index], tampered, *log[index + 1 :]])
    assert not report.ok
    assert report.breach is not None
    assert report.breach.position == index + 1
    assert report.events_checked == index
    assert report.to_dict()["first_bad_position"] == index + 1


@modest
@given(chains, st.data())
def test_overwriting_a_stored_hash_is_found_at_that_event(
    log: list[RecordedEvent], data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(log) - 1))
    field = data.draw(st.sampled_from(["hash", "global_hash"]))
    forgery: dict[str, Any] = {field: "f" * 64}
    forged = dataclasses.replace(log[index], **forgery)
    assume(forged != log[index])
    report = verify_events([*log[:index], forged, *log[index + 1 :]])
    assert report.breach is not None
    assert report.breach.position == index + 1


@modest
@given(st.lists(bodies, min_size=2, max_size=6).map(build_chain), st.data())
def test_deleting_an_event_is_found_where_it_was(
    log: list[RecordedEvent], data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(log) - 2))
    report = verify_events(log[:index] + log[index + 1 :])
    assert not report.ok
    assert report.breach is not None
    assert report.breach.position == index + 1


@modest
@given(st.lists(bodies, min_size=2, max_size=6).map(build_chain), st.data())
def test_swapping_adjacent_events_is_found_at_the_first_of_them(
    log: list[RecordedEvent], data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(log) - 2))
    swapped = [*log[:index], log[index + 1], log[index], *log[index + 2 :]]
    report = verify_events(swapped)
    assert not report.ok
    assert report.breach is not None
    assert report.breach.position == index + 1


@modest
@given(st.lists(bodies, min_size=2, max_size=6).map(build_chain), st.data())
def test_rewriting_an_event_with_fresh_hashes_is_found_at_its_successor(
    log: list[RecordedEvent], data: st.DataObject
) -> None:
    """A forger who also recomputes the edited event's own hashes is caught by the next
    event, whose links still point at the original."""
    index = data.draw(st.integers(min_value=0, max_value=len(log) - 2))
    event = log[index]
    edited = event.body() | {"recorded_at": event.recorded_at + "Z"}
    previous = next((e.hash for e in reversed(log[:index]) if e.stream == event.stream), GENESIS)
    previous_global = log[index - 1].global_hash if index else GENESIS
    digest = event_hash(previous, edited)
    forged = RecordedEvent(
        **edited,
        position=event.position,
        hash=digest,
        global_hash=chain_hash(previous_global, digest),
    )
    report = verify_events([*log[:index], forged, *log[index + 1 :]])
    assert report.breach is not None
    assert report.breach.position == index + 2


def test_hash_definitions_match_the_documented_construction() -> None:
    body = {"b": 1, "a": "é"}
    expected = hashlib.sha256(GENESIS.encode() + '{"a":"é","b":1}'.encode()).hexdigest()
    assert event_hash(GENESIS, body) == expected
    assert (
        chain_hash(GENESIS, expected) == hashlib.sha256((GENESIS + expected).encode()).hexdigest()
    )


@modest
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=8), st.randoms())
def test_canonical_ignores_insertion_order(value: dict[str, Any], rng: random.Random) -> None:
    items = list(value.items())
    rng.shuffle(items)
    reordered = dict(items)
    assert canonical(reordered) == canonical(value)
    assert event_hash(GENESIS, reordered) == event_hash(GENESIS, value)


def test_canonical_sorts_nested_keys_without_whitespace() -> None:
    assert canonical({"z": {"b": [1, 2], "a": None}, "a": True}) == (
        b'{"a":true,"z":{"a":null,"b":[1,2]}}'
    )


def test_canonical_keeps_non_ascii_as_utf8() -> None:
    title = "Закон і порядок в армії — «Цифрова профілактика» ✓"
    encoded = canonical({"title": title})
    assert encoded == ('{"title":"' + title + '"}').encode("utf-8")
    assert b"\\u" not in encoded


@modest
@given(json_values)
def test_canonical_is_stable_through_a_json_round_trip(value: Any) -> None:
    encoded = canonical(value)
    assert canonical(json.loads(encoded.decode("utf-8"))) == encoded


any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@modest
@given(any_json)
def test_canonical_is_the_documented_json_encoding(value: Any) -> None:
    """Exports are verified offline by any JSON library: the bytes must be exactly those
    of sorted-key, whitespace-free, UTF-8 JSON, whatever the encoder used inside."""
    documented = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical(value) == documented.encode("utf-8")
