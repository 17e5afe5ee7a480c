"""Application service: load an aggregate, authorize, decide, append.

Decisions are the pure functions in service.tracking.domain; this module adds the I/O around
them and the optimistic-concurrency retry. It knows nothing about HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import reduce
from typing import Any, Generic, TypeVar

from service.access import policy
from service.access.policy import TokenRecord
from service.ledger.domain.chain import Actor, RecordedEvent
from service.ledger.domain.errors import NotFound
from service.ledger.eventstore import EventStore, Idempotency, Replay, VersionConflict
from service.ledger.reads import Read
from service.tracking.domain import events as ev
from service.tracking.domain import milestone as ms
from service.tracking.domain import programme as pg

State = TypeVar("State")
RETRIES = 5


class PreconditionFailed(Exception):
    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"If-Match expected version {expected}, the record is at {actual}")
        self.expected = expected
        self.actual = actual


@dataclass(frozen=True)
class Loaded(Generic[State]):
    stream: str
    state: State
    version: int
    # The stream's events, oldest first; a cached milestone keeps only its first one and
    # the newest ones (all a representation reads: created_at and updated_at).
    events: list[RecordedEvent]


@dataclass(frozen=True)
class Outcome(Generic[State]):
    loaded: Loaded[State]
    appended: list[RecordedEvent]
    replayed: bool = False
    woke: bool | None = None  # see AppendResult.woke


Decision = Callable[..., list[ev.DomainEvent]]

# Milestone commands: URL verb -> (decision, permission).
MILESTONE_COMMANDS: dict[str, tuple[Decision, str]] = {
    "start": (ms.start, policy.MILESTONE_REPORT),
    "report-progress": (ms.report_progress, policy.MILESTONE_REPORT),
    "reschedule": (ms.reschedule, policy.MILESTONE_REPORT),
    "block": (ms.block, policy.MILESTONE_REPORT),
    "unblock": (ms.unblock, policy.MILESTONE_REPORT),
    "attach-evidence": (ms.attach_evidence, policy.MILESTONE_REPORT),
    "report-complete": (ms.report_complete, policy.MILESTONE_REPORT),
    "verify": (ms.verify, policy.MILESTONE_REVIEW),
    "dispute": (ms.dispute, policy.MILESTONE_REVIEW),
    "cancel": (ms.cancel, policy.MILESTONE_CANCEL),
    "comment": (ms.comment, policy.MILESTONE_COMMENT),
}

PARENT_KIND = {"initiative": "programme", "milestone": "initiative"}

FOLDS: dict[str, Callable[[list[ev.DomainEvent]], Any]] = {
    "programme": pg.fold_programme,
    "initiative": pg.fold_initiative,
    "milestone": ms.fold,
}


def stream_name(kind: str, aggregate_id: str) -> str:
    return f"{kind}-{aggregate_id}"


def _actor(token: TokenRecord) -> Actor:
    return Actor(token_id=token.id, role=token.role, agency=token.agency)


def _folded(kind: str, aggregate_id: str, stream: str, records: list[RecordedEvent]) -> Loaded[Any]:
    """A whole stream folded into its aggregate; NotFound when it holds none."""
    state = FOLDS[kind]([ev.from_payload(r.type, r.payload) for r in records])
    if state is None:
        raise NotFound(f"{kind} {aggregate_id}", kind, aggregate_id)
    return Loaded(stream, state, records[-1].version, records)


CACHED_MILESTONES = 10_000


class Tracker:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        # Milestones this process loaded or moved on, by stream. A command reads only the
        # events appended since (usually none) and folds them onto the cached state:
        # streams are append-only, so that is the fold of the whole stream.
        self._milestones: dict[str, Loaded[ms.Milestone]] = {}

    # --- reading -------------------------------------------------------------------

    def load(self, kind: str, aggregate_id: str, up_to_version: int | None = None) -> Loaded[Any]:
        stream = stream_name(kind, aggregate_id)
        records = self.store.read_stream(stream, limit=up_to_version, sealed=False)
        return _folded(kind, aggregate_id, stream, records)

    def current_milestone(self, milestone_id: str) -> Read[Loaded[ms.Milestone]]:
        """The milestone as it is now: the cached fold moved on by any newer events (the
        whole stream when it is not cached). A Read, so that a command request can fetch
        it together with the caller's token; finishing it raises NotFound."""
        stream = stream_name("milestone", milestone_id)
        cached = self._milestones.get(stream)
        newer = self.store.stream_read(stream, cached.version if cached else 0)

        def finish(reply: Any) -> Loaded[ms.Milestone]:
            records = newer.finish(reply)
            if cached is None:
                loaded: Loaded[ms.Milestone] = _folded("milestone", milestone_id, stream, records)
            elif not records:
                self.store.remember_head(cached.events[-1])  # spares the append a lookup
                return cached
            else:
                events = [ev.from_payload(r.type, r.payload) for r in records]
                state = reduce(ms.evolve, events, cached.state)
                loaded = Loaded(stream, state, records[-1].version, [cached.events[0], *records])
            self._cache(loaded)
            return loaded

        return Read(newer.send, finish)

    def _cache(self, loaded: Loaded[ms.Milestone]) -> None:
        if len(self._milestones) >= CACHED_MILESTONES:
            self._milestones.clear()
        # The first and last events are all a representation needs (created, updated).
        first_and_last = [loaded.events[0], loaded.events[-1]]
        self._milestones[loaded.stream] = Loaded(
            loaded.stream, loaded.state, loaded.version, first_and_last
        )

    def children(self, kind: str, parent_id: str | None) -> list[Loaded[Any]]:
        """Programmes (no parent), a programme's initiatives, an initiative's milestones."""
        parent = ""
        if parent_id:
            parent = self.load(PARENT_KIND[kind], parent_id).stream  # 404 for an unknown one
        return [self.load(kind, child.split("-", 1)[1]) for child in self.store.children(parent)]

    # --- creating ------------------------------------------------------------------

    def create_programme(
        self,
        token: TokenRecord,
        idempotency: Idempotency | None = None,
        correlation_id: str | None = None,
        **fields: Any,
    ) -> Outcome[pg.Programme]:
        policy.authorize(token, policy.PROGRAMME_CREATE)
        if replay := self._replay(idempotency):
            return replay
        new_id = str(uuid.uuid4())
        decided = pg.create_programme(programme_id=new_id, **fields)
        return self._create("programme", new_id, "", decided, token, idempotency, correlation_id)

    def launch_initiative(
        self,
        token: TokenRecord,
        programme_id: str,
        idempotency: Idempotency | None = None,
        correlation_id: str | None = None,
        **fields: Any,
    ) -> Outcome[pg.Initiative]:
        policy.authorize(token, policy.INITIATIVE_LAUNCH)
        if replay := self._replay(idempotency):
            return replay
        programme = self.load("programme", programme_id)
        new_id = str(uuid.uuid4())
        decided = pg.launch_initiative(programme.state, initiative_id=new_id, **fields)
        return self._create(
            "initiative", new_id, programme.stream, decided, token, idempotency, correlation_id
        )

    def plan_milestone(
        self,
        token: TokenRecord,
        initiative_id: str,
        *,
        title: str,
        description: str,
        planned_start: date,
        due_date: date,
        owner_agency: str | None = None,
        idempotency: Idempotency | None = None,
        correlation_id: str | None = None,
    ) -> Outcome[ms.Milestone]:
        if replay := self._replay(idempotency):
            return replay
        initiative = self.load("initiative", initiative_id)
        agency = owner_agency or initiative.state.owner_agency
        policy.authorize_planning(token, initiative.state.owner_agency, agency)
        new_id = str(uuid.uuid4())
        decided = ms.plan(
            milestone_id=new_id,
            initiative_id=initiative_id,
            programme_id=initiative.state.programme_id,
            title=title,
            description=description,
            owner_agency=agency,
            planned_start=planned_start,
            due_date=due_date,
        )
        return self._create(
            "milestone", new_id, initiative.stream, decided, token, idempotency, correlation_id
        )

    def _create(
        self,
        kind: str,
        new_id: str,
        parent: str,
        decided: list[ev.DomainEvent],
        token: TokenRecord,
        idempotency: Idempotency | None,
        correlation_id: str | None,
    ) -> Outcome[Any]:
        result = self.store.append(
            stream_name(kind, new_id),
            decided,
            expected_version=0,
            actor=_actor(token),
            correlation_id=correlation_id,
            idempotency=idempotency,
            parent=parent,
            wake=True,
        )
        if result.replay:
            return self._replayed(result.replay)
        state = FOLDS[kind](list(decided))
        return Outcome(
            Loaded(result.events[0].stream, state, result.version, result.events),
            result.events,
            woke=result.woke,
        )

    # --- commands on milestones ----------------------------------------------------

    def command(
        self,
        token: TokenRecord,
        milestone_id: str,
        verb: str,
        args: dict[str, Any],
        *,
        expected_version: int | None = None,
        idempotency: Idempotency | None = None,
        correlation_id: str | None = None,
        current: Loaded[ms.Milestone] | None = None,
    ) -> Outcome[ms.Milestone]:
        """Decide ``verb`` on the milestone as it is now and append the outcome, deciding
        again if another writer got there first. ``current``: the milestone as the caller
        has just read it (``current_milestone``); the first attempt decides on it."""
        decide, permission = MILESTONE_COMMANDS[verb]
        if replay := self._replay(idempotency):
            return replay
        for _attempt in range(RETRIES):
            loaded = current or self.current_milestone(milestone_id).run(self.store.redis)
            current = None
            policy.authorize(token, permission, loaded.state.owner_agency)
            if expected_version is not None and loaded.version != expected_version:
                # A concurrent twin with the same Idempotency-Key may be what moved it on.
                if replay := self._replay(idempotency):
                    return replay
                raise PreconditionFailed(expected_version, loaded.version)
            decided = decide(loaded.state, **args)
            try:
                result = self.store.append(
                    loaded.stream,
                    decided,
                    expected_version=loaded.version,
                    actor=_actor(token),
                    correlation_id=correlation_id,
                    idempotency=idempotency,
                    wake=True,
                )
            except VersionConflict:
                if expected_version is not None:
                    raise
                continue  # someone else wrote first: decide again on the new state
            if result.replay:
                return self._replayed(result.replay)
            # The new state is the loaded one moved on by the events just appended.
            state = reduce(ms.evolve, decided, loaded.state)
            after = Loaded(loaded.stream, state, result.version, loaded.events + result.events)
            self._cache(after)
            return Outcome(after, result.events, woke=result.woke)
        raise VersionConflict(stream_name("milestone", milestone_id), -1, -1)

    # --- idempotent replays --------------------------------------------------------

    def _replay(self, idempotency: Idempotency | None) -> Outcome[Any] | None:
        """The original outcome, when this Idempotency-Key was already used."""
        if idempotency is None:
            return None
        found = self.store.idempotent_replay(idempotency)
        return self._replayed(found) if found else None

    def _replayed(self, replay: Replay) -> Outcome[Any]:
        stream_kind, aggregate_id = replay.stream.split("-", 1)
        loaded = self.load(stream_kind, aggregate_id, up_to_version=replay.last_version)
        appended = [e for e in loaded.events if e.version >= replay.first_version]
        return Outcome(loaded, appended, replayed=True)
