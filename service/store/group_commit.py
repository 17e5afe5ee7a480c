"""Group commit: under contention, appends share one script call and one fsync.

Every event chains onto the global head, so appends that race for it can only commit
one after another, one fsync each. When an append loses that race, its client queues
the request in Redis instead of retrying, and whichever waiting client holds the
committer lease plans the whole queue — hashes chained in order, expected versions and
idempotency keys checked — and commits it with one script that compares-and-sets every
head it builds on, trims exactly the requests it answered and leaves each requester its
reply. A stale plan (someone else wrote first) is simply planned again, so the heads
stay the only source of truth; a committer that dies only delays the queue until its
lease runs out.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

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
from service.store.chain import Actor, RecordedEvent
from service.store.keys import GLOBAL_HEAD

if TYPE_CHECKING:
    from service.store.eventstore import EventStore

SCRIPT = resources.files("service.store").joinpath("group_commit.lua").read_text()
BATCH = 256
LEASE_MS = 2000
WAIT_SECONDS = 0.05  # between checks for a reply, or for a committer that died
DEADLINE_SECONDS = 30.0
# After an append had to queue, the next ones queue straight away for this long: under
# contention a direct attempt mostly loses, and when it wins it spoils the queue's plan.
STICKY_SECONDS = 0.25


class AppendTimeout(Exception):
    """No committer answered in time; the append may or may not have been committed."""


@dataclass
class _Plan:
    """What one script call commits; keys are passed by index for Redis Cluster."""

    keys: list[str] = field(default_factory=list)
    streams: dict[str, list[str]] = field(default_factory=dict)  # name -> [expected, new]
    events: list[list[Any]] = field(default_factory=list)
    idempotency: list[list[Any]] = field(default_factory=list)
    children: list[list[Any]] = field(default_factory=list)
    replies: list[list[Any]] = field(default_factory=list)
    global_heads: list[str] = field(default_factory=list)  # [expected, new]

    def key(self, name: str) -> int:
        self.keys.append(name)
        return len(self.keys) + 4  # after the four fixed KEYS


class GroupCommit:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.keys = store.keys
        self.redis = store.redis
        self._script = store.redis.register_script(SCRIPT)
        self._queued_until = 0.0

    def contended(self) -> bool:
        return time.monotonic() < self._queued_until

    def append(
        self,
        stream: str,
        events: Sequence[DomainEvent],
        *,
        expected_version: int | None,
        actor: Actor,
        correlation_id: str | None,
        causation_id: str | None,
        idempotency: Idempotency | None,
        parent: str | None,
    ) -> AppendResult:
        self._queued_until = time.monotonic() + STICKY_SECONDS
        request_id = uuid.uuid4().hex
        request = {
            "stream": stream,
            "expected_version": expected_version,
            "events": [[e.type, e.schema_version, e.to_payload()] for e in events],
            "actor": [actor.token_id, actor.role, actor.agency],
            "correlation_id": correlation_id,
            "causation_id": causation_id,
            "idempotency": [idempotency.scope, idempotency.key, idempotency.fingerprint]
            if idempotency
            else None,
            "parent": parent,
        }
        token = uuid.uuid4().hex
        pipe = self.redis.pipeline(transaction=False)
        pipe.rpush(self.keys.pending_appends, f"{request_id}|{json.dumps(request)}")
        pipe.set(self.keys.committer, token, nx=True, px=LEASE_MS)
        _, leader = pipe.execute()
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            if leader:
                answered = self._commit_queue(token, request_id)
                if answered is not None:
                    return self._result(answered)
            reply = self.redis.blpop([self.keys.append_reply(request_id)], timeout=WAIT_SECONDS)
            if reply:
                return self._result(json.loads(reply[1]))
            if time.monotonic() > deadline:
                raise AppendTimeout(f"no committer answered append request {request_id}")
            leader = bool(self.redis.set(self.keys.committer, token, nx=True, px=LEASE_MS))

    def _result(self, reply: dict[str, Any]) -> AppendResult:
        if reply["outcome"] == "conflict":
            raise VersionConflict(reply["stream"], reply["expected"], reply["actual"])
        if reply["outcome"] == "mismatch":
            raise IdempotencyMismatch(reply["message"])
        if reply["outcome"] == "dup":
            return AppendResult(replay=Replay(**reply["replay"]))
        records = [RecordedEvent.from_json(raw) for raw in reply["events"]]
        last = records[-1]
        self.store._remember(
            last.stream,
            _encode_head(last.version, last.hash),
            _encode_head(last.position, last.global_hash),
        )
        return AppendResult(events=records)

    def _commit_queue(self, token: str, own_id: str) -> dict[str, Any] | None:
        """Commit batches until the queue is empty; our own reply if we committed it."""
        own: dict[str, Any] | None = None
        while True:
            raw = self.redis.lrange(self.keys.pending_appends, 0, BATCH - 1)
            if not raw:
                self._release(token)
                return own
            requests = [_parse(item) for item in raw]
            plan, answers = self._plan(requests, own_id)
            outcome = self._script(
                keys=[
                    self.keys.log,
                    self.keys.heads,
                    self.keys.pending_appends,
                    self.keys.committer,
                    *plan.keys,
                ],
                args=[
                    json.dumps(
                        _plan_json(plan, [r["id"] for r in requests], self.store.idempotency_ttl)
                    ),
                    token,
                ],
            )
            if outcome[0] != "ok":
                continue  # someone wrote first: plan again on the new heads
            own = answers.get(own_id, own)
            if outcome[1] != "more":  # the queue is empty, or someone else took over
                return own

    def _release(self, token: str) -> None:
        if self.redis.get(self.keys.committer) == token:
            self.redis.delete(self.keys.committer)

    def _plan(
        self, requests: list[dict[str, Any]], own_id: str
    ) -> tuple[_Plan, dict[str, dict[str, Any]]]:
        streams = sorted({r["stream"] for r in requests})
        idem_keys = [
            self.keys.idempotency(*r["idempotency"][:2]) for r in requests if r["idempotency"]
        ]
        pipe = self.redis.pipeline(transaction=False)
        pipe.hmget(self.keys.heads, [GLOBAL_HEAD, *streams])
        for key in idem_keys:
            pipe.get(key)
        heads, *stored = pipe.execute()
        existing = dict(zip(idem_keys, stored, strict=True))
        global_raw = heads[0] or ""
        plan = _Plan()
        plan.streams = {s: [heads[i + 1] or ""] * 2 for i, s in enumerate(streams)}
        position, global_prev = _parse_head(global_raw)
        start_global = global_raw
        answers: dict[str, dict[str, Any]] = {}
        claimed: dict[str, str] = {}
        for request in requests:
            stream = request["stream"]
            version, stream_prev = _parse_head(plan.streams[stream][1])
            answer: dict[str, Any]
            idem = Idempotency(*request["idempotency"]) if request["idempotency"] else None
            idem_key = self.keys.idempotency(idem.scope, idem.key) if idem else None
            # An idempotency key already stored, or claimed earlier in this very batch.
            earlier = existing.get(idem_key) if idem_key else None
            earlier = claimed.get(idem_key, earlier) if idem_key else None
            if idem and earlier:
                try:
                    replay = _replay(idem, earlier)
                    answer = {"outcome": "dup", "replay": replay.__dict__}
                except IdempotencyMismatch as error:
                    answer = {"outcome": "mismatch", "message": str(error)}
            elif request["expected_version"] is not None and request["expected_version"] != version:
                answer = {
                    "outcome": "conflict",
                    "stream": stream,
                    "expected": request["expected_version"],
                    "actual": version,
                }
            else:
                queued = cast(list[DomainEvent], [_Event(*e) for e in request["events"]])
                records = self.store._record(
                    stream,
                    queued,
                    version,
                    stream_prev,
                    position,
                    global_prev,
                    Actor(*request["actor"]),
                    request["correlation_id"],
                    request["causation_id"],
                )
                stream_key = plan.key(self.keys.stream(stream))
                for record in records:
                    plan.events.append(
                        [stream_key, record.version, record.position, record.to_json()]
                    )
                last = records[-1]
                plan.streams[stream][1] = _encode_head(last.version, last.hash)
                position, global_prev = last.position, last.global_hash
                if idem and idem_key:
                    claimed[idem_key] = idempotency_record(idem, records)
                    plan.idempotency.append([plan.key(idem_key), claimed[idem_key]])
                if request["parent"] is not None:
                    plan.children.append([plan.key(self.keys.children(request["parent"])), stream])
                answer = {"outcome": "ok", "events": [r.to_json() for r in records]}
            answers[request["id"]] = answer
            if request["id"] == own_id:
                continue  # the committer reads its own answer from the plan
            plan.replies.append(
                [plan.key(self.keys.append_reply(request["id"])), json.dumps(answer)]
            )
        plan.global_heads = [start_global, _encode_head(position, global_prev) if position else ""]
        return plan, answers


@dataclass(frozen=True)
class _Event:
    """A queued event as the recorder needs it: type, schema version, payload."""

    type: str
    schema_version: int
    payload: dict[str, Any]

    def to_payload(self) -> dict[str, Any]:
        return self.payload


def _parse(item: str | bytes) -> dict[str, Any]:
    text = item.decode() if isinstance(item, bytes) else item
    request_id, _, body = text.partition("|")
    return {"id": request_id, **json.loads(body)}


def _plan_json(plan: _Plan, ids: list[str], ttl: int) -> dict[str, Any]:
    return {
        "ids": ids,
        "global": plan.global_heads,
        "streams": [[name, heads[0], heads[1]] for name, heads in plan.streams.items()],
        "events": plan.events,
        "idempotency": plan.idempotency,
        "children": plan.children,
        "replies": plan.replies,
        "ttl": ttl,
        "lease_ms": LEASE_MS,
    }
