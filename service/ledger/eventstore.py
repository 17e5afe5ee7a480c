"""The Redis event store: atomic, hash-chained, idempotent appends and reads.

Stream hashes are computed here in Python; the append script compares-and-sets the
stream head, so a concurrent writer can never fork a stream's chain, and gives the
events their global positions. The global chain is sealed after the fact (seal.py).
Nothing in this module deletes, trims or rewrites a stream.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from importlib import resources
from typing import Any

import redis

from service.ledger.appends import (
    AppendNotReplicated,
    AppendNotSent,
    AppendOutcomeUnknown,
    AppendResult,
    Draft,
    Idempotency,
    IdempotencyMismatch,
    Replay,
    VersionConflict,
    _encode_head,
    _entry_number,
    _field,
    _parse_head,
    _replay,
    _text,
    idempotency_record,
    position_head,
    refused_unwritten,
)
from service.ledger.checkpoints import Checkpoints
from service.ledger.domain.chain import (
    GENESIS,
    Actor,
    ChainWalker,
    RecordedEvent,
    VerifyReport,
    event_hash,
    hash_and_encode,
)
from service.ledger.domain.event import DomainEvent
from service.ledger.keys import POSITION_HEAD, SEALED_HEAD, Keys
from service.ledger.reads import Read, together
from service.ledger.seal import Sealer
from service.ledger.tree import MerkleTree
from service.runtime.clock import Clock, isoformat
from service.runtime.connection import owner, rerouted
from service.runtime.metrics import EVENTS_APPENDED

# The append outcomes and errors are part of the store's interface; they live in appends.py
# so that the sealer and the batch writer can share them.
__all__ = [
    "AppendNotReplicated",
    "AppendNotSent",
    "AppendOutcomeUnknown",
    "AppendResult",
    "EventStore",
    "Idempotency",
    "IdempotencyMismatch",
    "Replay",
    "VersionConflict",
]


def script(name: str) -> str:
    """A Lua script of this package with streams.lua, the steps the append scripts
    share, in front of it: Redis takes one text per script, so they are joined here."""
    package = resources.files("service.ledger")
    return package.joinpath("streams.lua").read_text() + package.joinpath(name).read_text()


APPEND_SCRIPT = script("append.lua")
APPEND_ALL_SCRIPT = script("append_all.lua")
MAX_ATTEMPTS = 10_000
HEADS_REMEMBERED = 10_000


class EventStore:
    def __init__(
        self,
        client: redis.Redis,
        clock: Clock,
        keys: Keys | None = None,
        idempotency_ttl: int = 7 * 24 * 3600,
        guard: Callable[[], int] | None = None,
        replica_timeout_ms: int = 1000,
    ) -> None:
        """``guard`` is asked before every append is sent: it raises to refuse it, or
        answers how many replicas must confirm it (the bootstrap passes a
        durability.DurabilityGuard); they are given ``replica_timeout_ms`` to do so."""
        self.redis = client
        self.guard = guard
        self.replica_timeout_ms = replica_timeout_ms
        self.clock = clock
        self.keys = keys or Keys()
        self.idempotency_ttl = idempotency_ttl
        self._append = client.register_script(APPEND_SCRIPT)
        self._append_all = client.register_script(APPEND_ALL_SCRIPT)
        # The last head this store saw per stream. Only a guess: the script compares it
        # and answers a wrong guess with the real head.
        self._heads: dict[str, str] = {}
        self.sealer = Sealer(client, self.keys)
        self.tree = MerkleTree(client, self.keys)
        self.checkpoints = Checkpoints(client, self.keys, self.tree)
        self._wake: tuple[str, int] | None = None

    def wake_on_append(self, key: str, ttl_ms: int) -> None:
        """From now on an append called with ``wake=True`` also sets ``key`` (for ``ttl_ms``)
        unless it is set, in the same script, and says so in ``AppendResult.woke``: the
        caller must then queue the job that clears it. Saves the API a round trip (and an
        fsync) per command."""
        self._wake = (key, ttl_ms)

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
        wake: bool = False,
    ) -> AppendResult:
        """Append ``events`` to ``stream`` and the global log in one atomic step.

        ``expected_version`` None means "wherever the stream is now". ``parent`` registers
        the stream as a child of another stream (or of the root with "") on creation.
        ``wake``: set the wake flag too, if the store has one (see ``wake_on_append``).
        """
        wake_key = self._wake if wake else None
        if not events:
            raise ValueError("nothing to append")
        raw_stream = self._guess_head(stream, expected_version)
        if raw_stream is None:
            raw_stream = _text(self.redis.hget(self.keys.heads, stream)) or ""
        for _ in range(MAX_ATTEMPTS):
            version, stream_prev = _parse_head(raw_stream)
            if expected_version is not None and version != expected_version:
                # A retry's expected version is stale because of its own first attempt.
                if idempotency and (replay := self.idempotent_replay(idempotency)):
                    return AppendResult(replay=replay)
                raise VersionConflict(stream, expected_version, version)
            records = self._record(
                stream, events, version, stream_prev, actor, correlation_id, causation_id
            )
            reply = self.call_append_script(
                records, raw_stream, idempotency=idempotency, parent=parent, wake=wake_key
            )
            outcome = _text(reply[0])
            if outcome == "ok":
                woke = bool(int(reply[2])) if wake_key else None
                return AppendResult(events=self.committed(records, reply[1]), woke=woke)
            if outcome == "dup":
                assert idempotency is not None
                return AppendResult(replay=_replay(idempotency, _text(reply[1]) or ""))
            # "conflict": the stream moved (or the guess was stale); decide on its real head.
            raw_stream = _text(reply[1]) or ""
            self._remember(stream, raw_stream)
        raise RuntimeError("append did not win the stream head after many attempts")

    def committed(self, drafts: list[Draft], position: Any) -> list[RecordedEvent]:
        """The drafts as committed: numbered from the position the script gave out."""
        first = int(_text(position) or 0)
        records = [draft.committed(first + offset) for offset, draft in enumerate(drafts)]
        self.remember_head(records[-1])
        # Every acknowledged new event passes here, from append() and from batch.py.
        EVENTS_APPENDED.inc(len(records))
        return records

    def _guess_head(self, stream: str, expected_version: int | None) -> str | None:
        """The head remembered from this store's last append or read, if it fits the caller.

        A right guess saves the HGET round trip; a wrong one costs no more than the HGET
        would have, since the script then answers with the real head.
        """
        raw_stream = self._heads.get(stream, "" if expected_version == 0 else None)
        if raw_stream is None:
            return None
        if expected_version is not None and _parse_head(raw_stream)[0] != expected_version:
            return None
        return raw_stream

    def remember_head(self, last: RecordedEvent) -> None:
        """Tell the store the last event of a stream, as a caller that keeps the stream's
        state knows it: the next append to it can skip looking the head up."""
        self._remember(last.stream, _encode_head(last.version, last.hash))

    def _remember(self, stream: str, raw_stream: str) -> None:
        if len(self._heads) >= HEADS_REMEMBERED:
            self._heads.clear()
        self._heads[stream] = raw_stream

    def _record(
        self,
        stream: str,
        events: Sequence[DomainEvent],
        version: int,
        stream_prev: str,
        actor: Actor,
        correlation_id: str | None,
        causation_id: str | None,
    ) -> list[Draft]:
        """Drafts chained onto the stream's head; positions are given out on commit."""
        recorded_at = isoformat(self.clock.now())
        actor_data = {"token_id": actor.token_id, "role": actor.role, "agency": actor.agency}
        drafts = []
        for offset, event in enumerate(events, start=1):
            body: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "stream": stream,
                "version": version + offset,
                "type": event.type,
                "schema_version": event.schema_version,
                "recorded_at": recorded_at,
                "actor": actor_data,
                "correlation_id": correlation_id,
                "causation_id": causation_id,
                "payload": event.to_payload(),
            }
            digest, stored = hash_and_encode(stream_prev, body)
            drafts.append(Draft(body, digest, stored))
            stream_prev = digest
        return drafts

    def restore(self, record: RecordedEvent, parent: str | None = None) -> None:
        """Write an event recorded elsewhere (an export) exactly as it was: same position,
        same stream hash. It must extend its stream where it ends now and take the next
        global position; anything else is refused. Seal afterwards to rebuild the global
        chain, which must come out as the export's."""
        raw_stream = _text(self.redis.hget(self.keys.heads, record.stream)) or ""
        version, stream_prev = _parse_head(raw_stream)
        if record.version != version + 1 or event_hash(stream_prev, record.body()) != record.hash:
            raise ValueError(f"event at position {record.position} does not extend its stream")
        reply = self.call_append_script(
            [Draft.of(record)], raw_stream, parent=parent, position=record.position
        )
        if _text(reply[0]) != "ok":
            raise ValueError(f"event at position {record.position} does not extend the log")

    def call_append_script(
        self,
        records: Sequence[Draft],
        raw_stream: str,
        *,
        idempotency: Idempotency | None = None,
        parent: str | None = None,
        position: int | None = None,
        wake: tuple[str, int] | None = None,
        client: Any = None,
    ) -> Any:
        """Send append.lua for ``records`` (one stream, chained on the given head)."""
        keys, first, last = self.keys, records[0], records[-1]
        flags = (
            ("i" if idempotency else "")
            + ("c" if parent is not None else "")
            + ("w" if wake else "")
        )
        header = "|".join(
            [
                raw_stream,
                _encode_head(last.version, last.hash),
                str(first.version),
                "" if position is None else str(position),
                str(self.idempotency_ttl),
                flags,
                str(wake[1]) if wake else "",
            ]
        )
        optional_keys, optional_args = [], []
        if idempotency:
            optional_keys.append(keys.idempotency(idempotency.scope, idempotency.key))
            optional_args.append(idempotency_record(idempotency, records))
        if parent is not None:
            optional_keys.append(keys.children(parent))
        if wake:
            optional_keys.append(wake[0])
        script_keys = [keys.stream(first.stream), keys.log, keys.heads, *optional_keys]
        script_args = [first.stream, header, *optional_args, *[r.stored for r in records]]
        return self._send(self._append, script_keys, script_args, client)

    def call_append_all_script(
        self, appends: Sequence[tuple[Sequence[Draft], str, Idempotency | None]]
    ) -> Any:
        """Send append_all.lua: each item's ``records`` (one stream each, chained on the
        given head, with its Idempotency-Key if any) appended all or nothing."""
        keys = self.keys
        script_keys, script_args = [keys.log, keys.heads], [str(self.idempotency_ttl)]
        for records, raw_stream, idempotency in appends:
            first, last = records[0], records[-1]
            header = "|".join(
                [
                    raw_stream,
                    _encode_head(last.version, last.hash),
                    str(first.version),
                    str(len(records)),
                    "i" if idempotency else "",
                ]
            )
            script_keys.append(keys.stream(first.stream))
            script_args += [first.stream, header]
            if idempotency:
                script_keys.append(keys.idempotency(idempotency.scope, idempotency.key))
                script_args.append(idempotency_record(idempotency, records))
            script_args += [r.stored for r in records]
        return self._send(self._append_all, script_keys, script_args, None)

    def _send(self, script: Any, keys: list[str], args: list[str], client: Any) -> Any:
        needed = self.ready_to_send(pipelined=client is not None)
        if client is not None:  # a pipeline: sent, and its errors raised, by its caller
            return script(keys=keys, args=args, client=client)
        with refused_unwritten():
            try:
                if needed:
                    return self._replicated(script, keys, args, needed)
                return script(keys=keys, args=args)
            except AppendNotReplicated:
                raise
            except (redis.ConnectionError, redis.TimeoutError) as error:
                # Sent but never answered: committed or not. (Should the client be set to
                # resend a command whose reply was lost, the script commits it once.)
                raise AppendOutcomeUnknown(f"no reply to the append: {error}") from error

    def _replicated(self, script: Any, keys: list[str], args: list[str], needed: int) -> Any:
        """An append script, then WAIT on the same connection (WAIT counts the replicas
        that have every write this connection made): one round trip. Every outcome that
        answers with committed events wrote something (see streams.lua), so WAIT covers
        them even when this send only found them committed by an earlier one."""
        for _ in range(2):
            pipe = owner(self.redis, keys[0]).pipeline(transaction=False)
            pipe.evalsha(script.sha, len(keys), *keys, *args)
            pipe.execute_command("WAIT", needed, self.replica_timeout_ms)
            try:
                with rerouted(self.redis):
                    reply, reached = pipe.execute()
            except redis.exceptions.NoScriptError:
                # A promoted replica has an empty script cache; nothing ran.
                owner(self.redis, keys[0]).script_load(script.script)
                continue
            if _text(reply[0]) in {"ok", "dup"}:
                self.replicas_reached(reached, needed)
            return reply
        raise AppendNotSent("the append script could not be loaded")

    def replicas_reached(self, reached: Any, needed: int) -> None:
        """Raise AppendNotReplicated unless WAIT answered ``needed`` replicas or more."""
        if int(reached) < needed:
            raise AppendNotReplicated(
                f"the primary has the append but only {reached} of {needed} replicas "
                f"confirmed it within {self.replica_timeout_ms} ms"
            )

    def _confirm_replay(self, key: str, raw: str) -> None:
        """A retry answered from its Idempotency-Key found its first attempt committed,
        but perhaps never replicated (that attempt timed out in WAIT): write the record
        again as it is, so that a WAIT on this connection covers everything before it,
        the first attempt included."""
        needed = self.ready_to_send(pipelined=False)
        if needed:
            reached = self._wait_after(key, lambda pipe: pipe.set(key, raw, keepttl=True, xx=True))
            self.replicas_reached(reached, needed)

    def replicas_have_everything(self) -> bool:
        """Whether the replicas now hold everything the primary holds (True without
        replicas to wait for): a write of this connection, then WAIT. What must not leave
        the deployment before a failover could undo it (a checkpoint for the witnesses)
        asks this first."""
        needed = self.ready_to_send(pipelined=False)
        if not needed:
            return True
        return (
            self._wait_after(self.keys.replicated, lambda pipe: pipe.incr(self.keys.replicated))
            >= needed
        )

    def _wait_after(self, key: str, write: Callable[[Any], Any]) -> int:
        """``write`` (a write to ``key``) and WAIT in one round trip on one connection:
        how many replicas have every write the primary made before it."""
        needed = self.ready_to_send(pipelined=False)
        with refused_unwritten(), rerouted(self.redis):
            pipe = owner(self.redis, key).pipeline(transaction=False)
            write(pipe)
            pipe.execute_command("WAIT", needed, self.replica_timeout_ms)
            return int(pipe.execute()[1])

    def ready_to_send(self, *, pipelined: bool) -> int:
        """Ask the guard, and make sure a connection is up, before sending: a failure
        here is known to have written nothing, unlike one once the append is sent.
        Answers how many replicas must confirm the append."""
        try:
            needed = self.guard() if self.guard is not None else 0
            # (A cluster client connects per node, as it routes each command.)
            if not pipelined and getattr(self.redis, "connection", False) is None:
                pool = self.redis.connection_pool
                pool.release(pool.get_connection())
        except (redis.ConnectionError, redis.TimeoutError) as error:
            raise AppendNotSent(f"Redis unreachable, nothing sent: {error}") from error
        return needed

    def idempotent_replay(self, idempotency: Idempotency) -> Replay | None:
        """What this Idempotency-Key's first request appended, if it was used; like an
        append, answered only once the replicas have it (AppendNotReplicated if not)."""
        key = self.keys.idempotency(idempotency.scope, idempotency.key)
        raw = _text(self.redis.get(key))
        if not raw:
            return None
        replay = _replay(idempotency, raw)
        self._confirm_replay(key, raw)
        return replay

    def idempotent_replays(self, idempotencies: Sequence[Idempotency]) -> list[Replay | None]:
        """``idempotent_replay`` of each, in one round trip."""
        if not idempotencies:
            return []
        raws = self.redis.mget([self.keys.idempotency(i.scope, i.key) for i in idempotencies])
        return [
            _replay(idempotency, _text(raw) or "") if raw else None
            for idempotency, raw in zip(idempotencies, raws, strict=True)
        ]

    # --- reading -------------------------------------------------------------------

    def stream_version(self, stream: str) -> int:
        return _parse_head(_text(self.redis.hget(self.keys.heads, stream)))[0]

    def head_position(self) -> int:
        """The last global position given out (committed, sealed or not)."""
        return position_head(self.redis, self.keys)

    def head_read(self) -> Read[tuple[int, int, str | None]]:
        """The head position, and the position and id of the log's last event (None for
        an empty log), in one round trip. The id names the log: no other log has that
        event, even one filled again to the same length under the same prefix."""
        heads, log = self.keys.heads, self.keys.log

        def finish(head: Any, last: Any) -> tuple[int, int, str | None]:
            events = self._decoded(last or [], stream_copy=False, sealed=False)
            at = events[0] if events else None
            return int(_text(head) or 0), at.position if at else 0, at.id if at else None

        return together(
            finish,
            Read(lambda client: client.hget(heads, POSITION_HEAD), lambda raw: raw),
            Read(lambda client: client.xrevrange(log, "+", "-", count=1), lambda raw: raw),
        )

    def read_stream(
        self,
        stream: str,
        after_version: int = 0,
        limit: int | None = None,
        *,
        sealed: bool = True,
    ) -> list[RecordedEvent]:
        """Events of one stream after ``after_version``; ``sealed=False`` skips looking up
        their global hashes (loading an aggregate to decide a command does not need them)."""
        entries = self.redis.xrange(
            self.keys.stream(stream), min=f"({after_version}-0", max="+", count=limit
        )
        return self._stream_events(entries, sealed=sealed, to_the_end=limit is None)

    def stream_read(self, stream: str, after_version: int = 0) -> Read[list[RecordedEvent]]:
        """``read_stream(stream, after_version, sealed=False)`` as a Read, so that it can
        share a round trip with other reads (see service.ledger.reads)."""
        key, after = self.keys.stream(stream), f"({after_version}-0"
        return Read(
            lambda client: client.xrange(key, min=after, max="+"),
            partial(self._stream_events, sealed=False, to_the_end=True),
        )

    def _stream_events(
        self, entries: Any, *, sealed: bool, to_the_end: bool
    ) -> list[RecordedEvent]:
        events = self._decoded(entries or [], stream_copy=True, sealed=sealed)
        if events and to_the_end:  # the last event is the head
            self.remember_head(events[-1])
        return events

    def read_log(
        self, after_position: int = 0, limit: int = 100, *, sealed: bool = True
    ) -> list[RecordedEvent]:
        """Events after ``after_position``; ``sealed=False`` skips looking up global hashes
        (readers that only project the log do not need them)."""
        entries = self.redis.xrange(self.keys.log, min=f"({after_position}-0", max="+", count=limit)
        return self._decoded(entries or [], stream_copy=False, sealed=sealed)

    def iter_log(
        self, after_position: int = 0, batch: int = 1000, *, sealed: bool = True
    ) -> Iterator[RecordedEvent]:
        return self._iter(self.keys.log, after_position, batch, stream_copy=False, sealed=sealed)

    def _iter(
        self,
        key: str,
        after: int,
        batch: int,
        *,
        stream_copy: bool,
        sealed: bool,
        up_to: int | None = None,
    ) -> Iterator[RecordedEvent]:
        """Entries of a stream whose IDs are "<number>-0", in order, after ``after`` (and
        up to ``up_to``)."""
        last = "+" if up_to is None else f"{up_to}-0"
        while True:
            entries = self.redis.xrange(key, min=f"({after}-0", max=last, count=batch)
            if not entries:
                return
            yield from self._decoded(entries, stream_copy=stream_copy, sealed=sealed)
            after = _entry_number(entries[-1][0])

    def _decoded(
        self, entries: list[Any], *, stream_copy: bool, sealed: bool
    ) -> list[RecordedEvent]:
        """Records from stream entries: the global log's entry ID is the position; an
        aggregate stream's copy keeps it in field "p". Global hashes come from the seals."""
        if stream_copy:
            positions = [int(_field(fields, "p") or 0) for _, fields in entries]
        else:
            positions = [_entry_number(entry_id) for entry_id, _ in entries]
        seals: list[Any] = [None] * len(entries)
        if sealed and entries:
            seals = self.redis.hmget(self.keys.seals, positions)
        return [
            RecordedEvent.from_stored(_field(fields, "e") or "", position, _text(seal))
            for (_, fields), position, seal in zip(entries, positions, seals, strict=True)
        ]

    def children(self, parent: str) -> list[str]:
        return [_text(item) or "" for item in self.redis.lrange(self.keys.children(parent), 0, -1)]

    def stream_exists(self, stream: str) -> bool:
        return bool(self.redis.hexists(self.keys.heads, stream))

    # --- verification --------------------------------------------------------------

    def verify(self, batch: int = 1000) -> VerifyReport:
        """Walk the global log and its seals, then each stream's own copy, and report the
        first breach. Events not sealed yet are checked against their stream chains only
        and counted (``head_position - sealed_position``).

        Appends and the sealer may run meanwhile: the heads (every stream's, the last
        position given out and the sealed head) are read first, in one command, and the
        walk checks the log as it was then; whatever is appended or sealed later is left
        for the next verify."""
        heads = {
            (_text(k) or ""): (_text(v) or "")
            for k, v in self.redis.hgetall(self.keys.heads).items()
        }
        end = int(heads.pop(POSITION_HEAD, "") or 0)
        sealed = _parse_head(heads.pop(SEALED_HEAD, ""))
        walker = ChainWalker()
        after = 0
        while walker.breach is None and after < end:
            entries = self.redis.xrange(
                self.keys.log, min=f"({after}-0", max=f"{end}-0", count=batch
            )
            if not entries:
                break
            seals = self.redis.hmget(self.keys.seals, [_entry_number(e[0]) for e in entries])
            for (entry_id, fields), seal in zip(entries, seals, strict=True):
                after = _entry_number(entry_id)
                # A seal written after the heads were read belongs to the next verify.
                known = _text(seal) if after <= sealed[0] else None
                try:
                    event = RecordedEvent.from_stored(_field(fields, "e"), after, known)
                except (TypeError, ValueError, KeyError):
                    walker.fail(after, None, "entry is not a recorded event")
                    break
                if not walker.feed(event):
                    break
        if walker.breach is None:
            self._verify_heads(walker, end, sealed, heads)
        if walker.breach is None:
            self._verify_streams(walker, batch)
        return walker.report()

    def _verify_heads(
        self, walker: ChainWalker, end: int, sealed: tuple[int, str], heads: dict[str, str]
    ) -> None:
        if end != walker.position:
            walker.fail(
                walker.position + 1,
                None,
                f"the log has given out position {end} but ends at "
                f"{walker.position}: events are missing",
            )
            return
        last = self.redis.xrevrange(self.keys.log, count=1)
        if last and _entry_number(last[0][0]) > self.head_position():
            # Appends move the position and add the entry in one step: an entry beyond
            # every position given out was put there by something else.
            walker.fail(end + 1, None, "the log holds entries after the last position given out")
            return
        if sealed != (walker.sealed_position, walker.global_hash):
            walker.fail(
                walker.sealed_position + 1,
                None,
                f"the sealed head says position {sealed[0]} but the seals end at "
                f"{walker.sealed_position}: seals are missing or altered",
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
            if (breach := self._verify_stream(stream, head, walker, batch))
        ]
        if breaches:
            walker.fail(*min(breaches))

    def _verify_stream(
        self, stream: str, head: tuple[int, str], walker: ChainWalker, batch: int
    ) -> tuple[int, str, str] | None:
        previous, version = GENESIS, 0
        positions = hashlib.sha256()
        key = self.keys.stream(stream)
        events = self._iter(key, 0, batch, stream_copy=True, sealed=False, up_to=head[0])
        while True:
            try:
                event = next(events, None)
            except (TypeError, ValueError, KeyError):
                return (walker.position + 1, stream, "stream copy of an event is not a record")
            if event is None:
                break
            if event.version != version + 1 or event_hash(previous, event.body()) != event.hash:
                return (event.position, stream, "stream copy of the event was altered")
            previous, version = event.hash, event.version
            positions.update(b"%d," % event.position)
        if (version, previous) != head:
            where = self._first_difference(stream, walker.position, batch)
            return (where, stream, "stream copy does not match the global log")
        if positions.digest() != walker.stream_positions[stream].digest():
            where = self._first_difference(stream, walker.position, batch)
            return (where, stream, "stream copy places its events at other positions")
        return None

    def _first_difference(self, stream: str, end: int, batch: int) -> int:
        """The global position of the first event whose stream copy differs from the log's
        record, so a breach names the event itself rather than the end of the log. Only
        walked once a stream copy is known to differ: a clean verify keeps one digest per
        stream instead of every position."""
        copies = self._iter(self.keys.stream(stream), 0, batch, stream_copy=True, sealed=False)
        log = self._iter(self.keys.log, 0, batch, stream_copy=False, sealed=False, up_to=end)
        for original in log:
            if original.stream != stream:
                continue
            try:
                copy = next(copies, None)
            except (TypeError, ValueError, KeyError):
                return original.position
            if copy is None or copy != original:
                return original.position
        return end + 1  # the copy holds events the log does not
