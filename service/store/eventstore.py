"""The Redis event store: atomic, hash-chained, idempotent appends and reads.

Hashes are computed here in Python; the append script only compares-and-sets the
stream head and the global head, so a concurrent writer can never fork either chain.
Nothing in this module deletes, trims or rewrites a stream.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from functools import partial
from importlib import resources
from typing import Any

import redis

from service.clock import Clock, isoformat
from service.domain.events import DomainEvent
from service.store.appends import (
    AppendResult,
    Idempotency,
    IdempotencyMismatch,
    Replay,
    VersionConflict,
    _encode_head,
    _parse_head,
    _replay,
    idempotency_record,
)
from service.store.chain import (
    GENESIS,
    Actor,
    ChainWalker,
    RecordedEvent,
    VerifyReport,
    chain_hash,
    event_hash,
)
from service.store.group_commit import GroupCommit
from service.store.keys import GLOBAL_HEAD, Keys

# The append outcomes and errors are part of the store's interface; they live in appends.py
# so that group_commit.py can share them.
__all__ = [
    "AppendResult",
    "EventStore",
    "Idempotency",
    "IdempotencyMismatch",
    "Replay",
    "VersionConflict",
]

APPEND_SCRIPT = resources.files("service.store").joinpath("append.lua").read_text()
MAX_ATTEMPTS = 10_000
HEADS_REMEMBERED = 10_000


class EventStore:
    def __init__(
        self,
        client: redis.Redis,
        clock: Clock,
        keys: Keys | None = None,
        idempotency_ttl: int = 7 * 24 * 3600,
        group_commit: bool = True,
    ) -> None:
        self.redis = client
        self.clock = clock
        self.keys = keys or Keys()
        self.idempotency_ttl = idempotency_ttl
        self._append = client.register_script(APPEND_SCRIPT)
        # The last head this store saw per stream (and GLOBAL_HEAD). Only a guess: the
        # script compares both heads and answers a wrong guess with the real ones.
        self._heads: dict[str, str] = {}
        self.group_commit = GroupCommit(self) if group_commit else None

    # --- writing -------------------------------------------------------------------

    def append(
        self,
        stream: str,
        events: Sequence[DomainEvent],
        *,
        expected_version: int | None,
        actor: Actor,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        idempotency: Idempotency | None = None,
        parent: str | None = None,
    ) -> AppendResult:
        """Append ``events`` to ``stream`` and the global log in one atomic step.

        ``expected_version`` None means "wherever the stream is now". ``parent`` registers
        the stream as a child of another stream (or of the root with "") on creation.
        """
        if not events:
            raise ValueError("nothing to append")
        queue = (
            partial(
                self.group_commit.append,
                stream,
                events,
                expected_version=expected_version,
                actor=actor,
                correlation_id=correlation_id,
                causation_id=causation_id,
                idempotency=idempotency,
                parent=parent,
            )
            if self.group_commit
            else None
        )
        if queue and self.group_commit and self.group_commit.contended():
            return queue()
        guess = self._guess_heads(stream, expected_version)
        raw_stream, raw_global = guess or self.redis.hmget(self.keys.heads, [stream, GLOBAL_HEAD])
        for _ in range(MAX_ATTEMPTS):
            version, stream_prev = _parse_head(_text(raw_stream))
            if expected_version is not None and version != expected_version:
                # A retry's expected version is stale because of its own first attempt.
                if idempotency and (replay := self.idempotent_replay(idempotency)):
                    return AppendResult(replay=replay)
                raise VersionConflict(stream, expected_version, version)
            position, global_prev = _parse_head(_text(raw_global))
            records = self._record(
                stream,
                events,
                version,
                stream_prev,
                position,
                global_prev,
                actor,
                correlation_id,
                causation_id,
            )
            reply = self.call_append_script(
                records,
                _text(raw_stream),
                _text(raw_global),
                idempotency=idempotency,
                parent=parent,
            )
            outcome = _text(reply[0])
            if outcome == "ok":
                last = records[-1]
                self._remember(
                    stream,
                    _encode_head(last.version, last.hash),
                    _encode_head(last.position, last.global_hash),
                )
                return AppendResult(events=records)
            if outcome == "dup":
                assert idempotency is not None
                return AppendResult(replay=_replay(idempotency, _text(reply[1]) or ""))
            raw_stream, raw_global = _text(reply[1]), _text(reply[2])
            self._remember(stream, raw_stream or "", raw_global or "")
            if outcome == "moved" and queue:
                # Another append won the global head: queue for a shared commit instead
                # of racing again (see group_commit.py).
                return queue()
        raise RuntimeError("append did not win the global head after many attempts")

    def _guess_heads(self, stream: str, expected_version: int | None) -> tuple[str, str] | None:
        """Heads remembered from this store's last append or read, if they fit the caller.

        A right guess saves the HMGET round trip; a wrong one costs no more than the
        HMGET would have, since the script then answers with the real heads.
        """
        raw_global = self._heads.get(GLOBAL_HEAD)
        raw_stream = self._heads.get(stream, "" if expected_version == 0 else None)
        if raw_global is None or raw_stream is None:
            return None
        if expected_version is not None and _parse_head(raw_stream)[0] != expected_version:
            return None
        return raw_stream, raw_global

    def _remember(self, stream: str, raw_stream: str, raw_global: str | None = None) -> None:
        if len(self._heads) >= HEADS_REMEMBERED:
            self._heads.clear()
        self._heads[stream] = raw_stream
        if raw_global is not None:
            self._heads[GLOBAL_HEAD] = raw_global

    def _record(
        self,
        stream: str,
        events: Sequence[DomainEvent],
        version: int,
        stream_prev: str,
        position: int,
        global_prev: str,
        actor: Actor,
        correlation_id: str | None,
        causation_id: str | None,
    ) -> list[RecordedEvent]:
        recorded_at = isoformat(self.clock.now())
        actor_data = {"token_id": actor.token_id, "role": actor.role, "agency": actor.agency}
        records = []
        for offset, event in enumerate(events, start=1):
            body: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "stream": stream,
                "version": version + offset,
                "position": position + offset,
                "type": event.type,
                "schema_version": event.schema_version,
                "recorded_at": recorded_at,
                "actor": actor_data,
                "correlation_id": correlation_id,
                "causation_id": causation_id,
                "payload": event.to_payload(),
            }
            digest = event_hash(stream_prev, body)
            global_digest = chain_hash(global_prev, digest)
            records.append(RecordedEvent(**body, hash=digest, global_hash=global_digest))
            stream_prev, global_prev = digest, global_digest
        return records

    def restore(self, record: RecordedEvent, parent: str | None = None) -> None:
        """Write an event recorded elsewhere (an export) exactly as it was, hashes and all.

        It must extend both chains where they end now; anything else is refused.
        """
        raw_stream, raw_global = (
            _text(v) for v in self.redis.hmget(self.keys.heads, [record.stream, GLOBAL_HEAD])
        )
        version, stream_prev = _parse_head(raw_stream)
        position, global_prev = _parse_head(raw_global)
        if (record.version, record.position) != (version + 1, position + 1) or (
            event_hash(stream_prev, record.body()) != record.hash
            or chain_hash(global_prev, record.hash) != record.global_hash
        ):
            raise ValueError(f"event at position {record.position} does not extend the log")
        reply = self.call_append_script([record], raw_stream, raw_global, parent=parent)
        if _text(reply[0]) != "ok":
            raise VersionConflict(record.stream, version, -1)

    def call_append_script(
        self,
        records: Sequence[RecordedEvent],
        raw_stream: str | None,
        raw_global: str | None,
        *,
        idempotency: Idempotency | None = None,
        parent: str | None = None,
        client: Any = None,
    ) -> Any:
        """Send append.lua for ``records`` (one stream, chained on the given heads).

        While a group committer holds its lease the script refuses ("moved"), so direct
        appends cannot spoil the committer's plan.
        """
        keys, first, last = self.keys, records[0], records[-1]
        idem_key = keys.idempotency(idempotency.scope, idempotency.key) if idempotency else None
        return self._append(
            keys=[
                keys.stream(first.stream),
                keys.log,
                keys.heads,
                idem_key or keys.log,
                keys.children(parent) if parent is not None else keys.log,
                *([keys.committer] if self.group_commit else []),
            ],
            args=[
                first.stream,
                raw_stream or "",
                raw_global or "",
                _encode_head(last.version, last.hash),
                _encode_head(last.position, last.global_hash),
                idempotency_record(idempotency, records) if idempotency else "",
                self.idempotency_ttl,
                first.stream if parent is not None else "",
                first.version,
                first.position,
                len(records),
                *[record.to_json() for record in records],
            ],
            client=client,
        )

    def idempotent_replay(self, idempotency: Idempotency) -> Replay | None:
        raw = self.redis.get(self.keys.idempotency(idempotency.scope, idempotency.key))
        return _replay(idempotency, _text(raw) or "") if raw else None

    # --- reading -------------------------------------------------------------------

    def stream_version(self, stream: str) -> int:
        return _parse_head(_text(self.redis.hget(self.keys.heads, stream)))[0]

    def head_position(self) -> int:
        return _parse_head(_text(self.redis.hget(self.keys.heads, GLOBAL_HEAD)))[0]

    def read_stream(
        self, stream: str, after_version: int = 0, limit: int | None = None
    ) -> list[RecordedEvent]:
        entries = self.redis.xrange(
            self.keys.stream(stream), min=f"({after_version}-0", max="+", count=limit
        )
        events = [_decode(entry) for entry in entries or []]
        if events and limit is None:  # read to the end: the last event is the head
            self._remember(stream, _encode_head(events[-1].version, events[-1].hash))
        return events

    def read_log(self, after_position: int = 0, limit: int = 100) -> list[RecordedEvent]:
        entries = self.redis.xrange(self.keys.log, min=f"({after_position}-0", max="+", count=limit)
        return [_decode(entry) for entry in entries or []]

    def iter_log(self, after_position: int = 0, batch: int = 1000) -> Iterator[RecordedEvent]:
        return self._iter(self.keys.log, after_position, batch)

    def _iter(self, key: str, after: int, batch: int) -> Iterator[RecordedEvent]:
        """Entries of a stream whose IDs are "<number>-0", in order, after ``after``."""
        while True:
            entries = self.redis.xrange(key, min=f"({after}-0", max="+", count=batch)
            if not entries:
                return
            for entry in entries:
                yield _decode(entry)
            after = int((_text(entries[-1][0]) or "0-0").split("-")[0])

    def children(self, parent: str) -> list[str]:
        return [_text(item) or "" for item in self.redis.lrange(self.keys.children(parent), 0, -1)]

    def stream_exists(self, stream: str) -> bool:
        return bool(self.redis.hexists(self.keys.heads, stream))

    # --- verification --------------------------------------------------------------

    def verify(self, batch: int = 1000) -> VerifyReport:
        """Walk the global chain, then each stream's own copy, and report the first breach."""
        walker = ChainWalker()
        after = 0
        while walker.breach is None:
            entries = self.redis.xrange(self.keys.log, min=f"({after}-0", max="+", count=batch)
            if not entries:
                break
            for entry_id, _fields in entries:
                event = _decode((entry_id, _fields))
                entry_position = int((_text(entry_id) or "0-0").split("-")[0])
                if entry_position != event.position:
                    walker.fail(entry_position, event.stream, "event stored at the wrong position")
                    break
                if not walker.feed(event):
                    break
                after = entry_position
        if walker.breach is None:
            self._verify_heads(walker)
        if walker.breach is None:
            self._verify_streams(walker, batch)
        return walker.report()

    def _verify_heads(self, walker: ChainWalker) -> None:
        heads = {
            (_text(k) or ""): (_text(v) or "")
            for k, v in self.redis.hgetall(self.keys.heads).items()
        }
        position, digest = _parse_head(heads.pop(GLOBAL_HEAD, ""))
        if position != walker.position or (position and digest != walker.global_hash):
            walker.fail(
                walker.position + 1,
                None,
                f"global head says position {position} but the log ends at "
                f"{walker.position}: events are missing",
            )
            return
        for stream in sorted(set(walker.stream_heads) - set(heads)):
            walker.fail(walker.position + 1, stream, "stream has events but no head")
            return
        for stream, raw in sorted(heads.items()):
            if _parse_head(raw) != walker.stream_heads.get(stream, (0, GENESIS)):
                walker.fail(
                    walker.position + 1,
                    stream,
                    "stream head does not match the last event of the stream",
                )
                return

    def _verify_streams(self, walker: ChainWalker, batch: int) -> None:
        breaches = [
            breach
            for stream, head in walker.stream_heads.items()
            if (breach := self._verify_stream(stream, head, batch, walker.position + 1))
        ]
        if breaches:
            walker.fail(*min(breaches))

    def _verify_stream(
        self, stream: str, head: tuple[int, str], batch: int, log_end: int
    ) -> tuple[int, str, str] | None:
        previous, version = GENESIS, 0
        for event in self._iter(self.keys.stream(stream), 0, batch):
            if event.version != version + 1 or event_hash(previous, event.body()) != event.hash:
                return (event.position, stream, "stream copy of the event was altered")
            previous, version = event.hash, event.version
        if (version, previous) != head:
            return (log_end, stream, "stream copy does not match the global log")
        return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _decode(entry: Any) -> RecordedEvent:
    _entry_id, fields = entry
    raw = fields.get(b"e") if b"e" in fields else fields.get("e")
    return RecordedEvent.from_json(raw)
