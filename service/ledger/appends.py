"""Appends as the store's callers see them: outcomes, errors, idempotency records and
the "<number>:<hash>" spelling of a chain head. Shared by the store, the sealer and the
batch writer."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import redis
from redis.exceptions import AskError, ClusterDownError, ReadOnlyError, TryAgainError

from service.ledger.domain.chain import GENESIS, RecordedEvent
from service.ledger.keys import POSITION_HEAD, Keys


class VersionConflict(Exception):
    def __init__(self, stream: str, expected: int, actual: int) -> None:
        super().__init__(f"stream {stream} is at version {actual}, expected {expected}")
        self.stream = stream
        self.expected = expected
        self.actual = actual


class AppendNotSent(redis.ConnectionError):
    """Redis could not be reached before the append was sent: nothing was written."""


class AppendOutcomeUnknown(redis.ConnectionError):
    """The append was sent but no reply came back (a lost connection, a timeout): it may
    have been committed or not. Resending it is safe with an Idempotency-Key, which
    answers with the first outcome; without one it may append the events again."""


class AppendNotReplicated(AppendOutcomeUnknown):
    """The primary took the append, but fewer replicas than required confirmed it within
    the timeout (Redis WAIT): it is not acknowledged, since a failover now could drop it.
    A retry with the same Idempotency-Key answers with this append once it has reached
    the replicas, and never appends it twice."""


class IdempotencyMismatch(Exception):
    """The Idempotency-Key was already used for a different request."""


@dataclass(frozen=True)
class Idempotency:
    scope: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Replay:
    """What an earlier request with the same Idempotency-Key appended."""

    stream: str
    first_version: int
    last_version: int


@dataclass(frozen=True, slots=True)
class Draft:
    """An event recorded and hashed onto its stream, not committed yet: no position."""

    body: dict[str, Any]
    hash: str
    stored: str  # the record as Redis keeps it

    @property
    def stream(self) -> str:
        return str(self.body["stream"])

    @property
    def version(self) -> int:
        return int(self.body["version"])

    def committed(self, position: int) -> RecordedEvent:
        return RecordedEvent(**self.body, position=position, hash=self.hash, global_hash=None)

    @classmethod
    def of(cls, record: RecordedEvent) -> Draft:
        """A recorded event (an import) as a draft to append again."""
        return cls(record.body(), record.hash, record.stored())


@dataclass
class AppendResult:
    events: list[RecordedEvent] = field(default_factory=list)
    replay: Replay | None = None
    # The append also set the wake flag (see EventStore.wake_on_append): whoever appended
    # must now queue the job that clears it. None when the store sets no flag.
    woke: bool | None = None

    @property
    def version(self) -> int:
        return self.events[-1].version if self.events else 0


# Refusals a server answers instead of running the command: a replica (READONLY; in a
# cluster, MOVED to the slot's primary, ASK during a migration), a cluster that lost a
# slot's primary (CLUSTERDOWN) or is moving its keys (TRYAGAIN).
REFUSALS = (ReadOnlyError, AskError, ClusterDownError, TryAgainError)


@contextmanager
def refused_unwritten() -> Iterator[None]:
    """A write refused by a primary with too few good replicas (min-replicas-to-write) or
    by a replica (after a failover) is refused before Redis makes it: nothing written."""
    try:
        yield
    except redis.ResponseError as error:
        # redis-py names most refusals by their class, and leaves the code out of the text.
        if isinstance(error, REFUSALS) or any(
            code in str(error) for code in ("NOREPLICAS", "READONLY")
        ):
            raise AppendNotSent(f"Redis refused the write, nothing written: {error}") from error
        raise


def _parse_head(raw: str | None) -> tuple[int, str]:
    if not raw:
        return 0, GENESIS
    number, digest = raw.split(":", 1)
    return int(number), digest


def _encode_head(number: int, digest: str) -> str:
    return f"{number}:{digest}"


def idempotency_record(idempotency: Idempotency, records: Sequence[Draft]) -> str:
    """What an Idempotency-Key points at: the versions its request appended."""
    return json.dumps(
        {
            "fingerprint": idempotency.fingerprint,
            "stream": records[0].stream,
            "first_version": records[0].version,
            "last_version": records[-1].version,
        }
    )


def _replay(idempotency: Idempotency, raw: str) -> Replay:
    stored = json.loads(raw)
    if stored["fingerprint"] != idempotency.fingerprint:
        raise IdempotencyMismatch("this Idempotency-Key was already used with a different request")
    return Replay(
        stream=stored["stream"],
        first_version=stored["first_version"],
        last_version=stored["last_version"],
    )


def _text(value: Any) -> str | None:
    """A Redis reply as text, whether the client decodes responses or not."""
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _field(fields: Any, name: str) -> Any:
    """A field of a stream entry, whether the client decodes responses or not."""
    return fields.get(name.encode()) if name.encode() in fields else fields.get(name)


def _entry_number(entry_id: Any) -> int:
    """The number of a stream entry ID "<number>-0": a version or a global position."""
    return int((_text(entry_id) or "0-0").split("-")[0])


def position_head(client: Any, keys: Keys) -> int:
    """The last global position given out (committed, sealed or not)."""
    return int(_text(client.hget(keys.heads, POSITION_HEAD)) or 0)
