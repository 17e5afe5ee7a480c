"""Recorded events, their canonical encoding and the two SHA-256 hash chains.

``hash``        = SHA-256(previous event hash of the same stream || canonical(body))
``global_hash`` = SHA-256(previous global_hash || hash), in global position order

The body is every field except the global position and the two hashes, encoded as JSON
with sorted keys, no whitespace and UTF-8. The first event of a chain uses GENESIS as
its predecessor. The append that records an event computes its ``hash``; the store gives
it the next global position as it commits, and the sealer (``seal.py``) chains the
global log shortly after, so an event read before it is sealed has no ``global_hash``
yet. The global chain binds every event to its position: editing, deleting or
reordering sealed events breaks it. This module is pure so exports can be verified
offline, without Redis.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import orjson

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    token_id: str
    role: str
    agency: str | None = None


@dataclass(frozen=True)
class RecordedEvent:
    id: str
    stream: str
    version: int
    position: int
    type: str
    schema_version: int
    recorded_at: str
    actor: dict[str, Any]
    correlation_id: str | None
    causation_id: str | None
    payload: dict[str, Any]
    hash: str
    global_hash: str | None  # None until the sealer has chained it into the global log

    def body(self) -> dict[str, Any]:
        """What ``hash`` covers: every field but the position and the two hashes."""
        # Shallow on purpose: asdict's deep copy was a third of an append's encoding time.
        return {name: getattr(self, name) for name in BODY_FIELDS}

    def to_dict(self) -> dict[str, Any]:
        # Shallow: actor and payload are shared with the record, which nothing mutates.
        return dict(vars(self))

    def to_json(self) -> str:
        """The whole record, as an export line holds it."""
        return canonical(
            {
                **self.body(),
                "position": self.position,
                "hash": self.hash,
                "global_hash": self.global_hash,
            }
        ).decode()

    def stored(self) -> str:
        """The record as Redis keeps it: position and global hash live beside it."""
        return canonical({**self.body(), "hash": self.hash}).decode()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecordedEvent:
        return cls(**data)

    @classmethod
    def from_json(cls, raw: str | bytes) -> RecordedEvent:
        return cls.from_dict(json.loads(raw))

    @classmethod
    def from_stored(
        cls, raw: str | bytes, position: int, global_hash: str | None = None
    ) -> RecordedEvent:
        data = orjson.loads(raw)
        return cls(**data, position=position, global_hash=global_hash)


BODY_FIELDS = tuple(
    f.name for f in fields(RecordedEvent) if f.name not in {"position", "hash", "global_hash"}
)


def canonical(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8 kept: the bytes every hash is computed over.

    For plain JSON values without floats orjson writes exactly these bytes (same escapes,
    code-point key order) ten times faster. Floats (orjson spells 1e16 where json writes
    1e+16), integers beyond 64 bits, non-string keys and any other type go to json, so
    the bytes, and what is refused, stay as they always were.
    """
    if _plain(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            pass
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _plain(value: Any) -> bool:
    """Only dicts, lists, tuples, str, int, bool and None, by exact type."""
    kind = type(value)
    if kind is dict:
        value = value.values()
    elif kind is not list and kind is not tuple:
        return kind is str or kind is int or kind is bool or value is None
    for item in value:
        # Leaves are checked inline: this walk must cost less than the encoding it saves.
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if not _plain(item):
            return False
    return True


def event_hash(previous: str, body: dict[str, Any]) -> str:
    return hashlib.sha256(previous.encode() + canonical(body)).hexdigest()


def hash_and_encode(previous: str, body: dict[str, Any]) -> tuple[str, str]:
    """``event_hash(previous, body)`` and the record as stored (the body plus its hash),
    with one check for the fast encoding instead of two: the append's hot path."""
    if _plain(body):
        try:
            digest = hashlib.sha256(
                previous.encode() + orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
            ).hexdigest()
            stored = orjson.dumps({**body, "hash": digest}, option=orjson.OPT_SORT_KEYS)
            return digest, stored.decode()
        except TypeError:
            pass
    digest = event_hash(previous, body)
    return digest, canonical({**body, "hash": digest}).decode()


def chain_hash(previous_global: str, event_hash_hex: str) -> str:
    return hashlib.sha256(previous_global.encode() + event_hash_hex.encode()).hexdigest()


@dataclass(frozen=True)
class Breach:
    """The first place where the log is not what its hashes say it was."""

    position: int
    stream: str | None
    reason: str

    def __str__(self) -> str:
        where = f" in stream {self.stream}" if self.stream else ""
        return f"position {self.position}{where}: {self.reason}"


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    events_checked: int
    head_position: int
    head_hash: str  # the global hash at sealed_position
    breach: Breach | None = None
    sealed_position: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events_checked": self.events_checked,
            "head_position": self.head_position,
            "head_hash": self.head_hash,
            "sealed_position": self.sealed_position,
            "first_bad_position": self.breach.position if self.breach else None,
            "stream": self.breach.stream if self.breach else None,
            "reason": self.breach.reason if self.breach else None,
        }


class ChainWalker:
    """Checks events in global order; feed it the whole log, then ask for the report."""

    def __init__(self) -> None:
        self.stream_heads: dict[str, tuple[int, str]] = {}
        # Per stream, a digest of the positions its events hold in the global log, so the
        # stream's own copy can be checked against them without keeping every position.
        self.stream_positions: dict[str, Any] = {}
        self.position = 0
        self.sealed_position = 0
        self.global_hash = GENESIS
        self.checked = 0
        self.breach: Breach | None = None

    def feed(self, event: RecordedEvent) -> bool:
        """Return False (and remember why) at the first event that breaks a chain."""
        if self.breach:
            return False
        expected_position = self.position + 1
        if event.position != expected_position:
            return self._fail(
                expected_position,
                event.stream,
                f"expected position {expected_position}, found {event.position}",
            )
        version, previous = self.stream_heads.get(event.stream, (0, GENESIS))
        if event.version != version + 1:
            return self._fail(
                event.position,
                event.stream,
                f"expected version {version + 1} of stream, found {event.version}",
            )
        if event_hash(previous, event.body()) != event.hash:
            return self._fail(event.position, event.stream, "event hash does not match content")
        if event.global_hash is not None:
            if self.sealed_position != self.position:
                return self._fail(
                    event.position, event.stream, "sealed event after an unsealed one"
                )
            if chain_hash(self.global_hash, event.hash) != event.global_hash:
                return self._fail(event.position, event.stream, "global chain hash does not match")
            self.global_hash = event.global_hash
            self.sealed_position = event.position
        self.stream_heads[event.stream] = (event.version, event.hash)
        positions = self.stream_positions.get(event.stream) or hashlib.sha256()
        positions.update(b"%d," % event.position)
        self.stream_positions[event.stream] = positions
        self.position = event.position
        self.checked += 1
        return True

    def _fail(self, position: int, stream: str | None, reason: str) -> bool:
        self.breach = Breach(position, stream, reason)
        return False

    def fail(self, position: int, stream: str | None, reason: str) -> None:
        if not self.breach:
            self._fail(position, stream, reason)

    def report(self) -> VerifyReport:
        return VerifyReport(
            ok=self.breach is None,
            events_checked=self.checked,
            head_position=self.position,
            head_hash=self.global_hash,
            breach=self.breach,
            sealed_position=self.sealed_position,
        )


def verify_events(events: Iterable[RecordedEvent]) -> VerifyReport:
    walker = ChainWalker()
    for event in events:
        if not walker.feed(event):
            break
    return walker.report()
