"""Helpers for projector tests: read models dumped to plain data, so the one the projector
built incrementally can be compared with a full rebuild and with the pure fold of the log."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import date, timedelta
from typing import Any

import orjson

from service.bootstrap import Services
from service.dashboards.domain.aggregates import open_ordinal, scopes_of
from service.dashboards.domain.readmodel import FAMILIES, MILESTONES
from service.dashboards.domain.snapshot import Snapshot, fold
from service.dashboards.projector import Projector
from service.dashboards.readmodels import Layout, live_generations
from service.ledger.domain.chain import Actor
from service.ledger.domain.errors import DomainError
from service.runtime.clock import FrozenClock
from service.tracking.domain import milestone as ms
from service.tracking.domain import programme as pg
from service.tracking.domain.events import DomainEvent, from_payload

OVERSEER = Actor(token_id="overseer-1", role="overseer", agency=None)
AGENCIES = ("Prosecutor General's Office", "Ministry of Defence")


def dump_live(services: Services) -> dict[str, Any]:
    """Every record, member set and due-index entry of the live generation."""
    client, keys = services.redis, services.keys
    layout = Layout(keys, live_generations(client, keys))
    found: dict[str, Any] = {"members": {}, "open": {}}
    found["aggregates"] = {
        scope: orjson.loads(totals) for scope, totals in client.hgetall(layout.aggregates).items()
    }
    for family in FAMILIES:
        found[family] = {
            k: orjson.loads(v) for k, v in client.hgetall(layout.records(family)).items()
        }
        prefix = layout.records(family).removesuffix("records")
        for key in client.scan_iter(match=layout.pattern(family), count=1000):
            suffix = key.removeprefix(prefix)
            if suffix.startswith("open:"):
                entries = client.zrange(key, 0, -1, withscores=True)
                found["open"][suffix.removeprefix("open:")] = {m: int(o) for m, o in entries}
            elif suffix not in ("records", "checkpoint", "due", "aggregates"):
                name, owner = suffix.split(":", 1)
                found["members"][(family, name, owner)] = sorted(client.smembers(key))
    due: list[tuple[str, float]] = client.zrange(layout.due, 0, -1, withscores=True)  # type: ignore[assignment]
    found["due"] = {member: int(score) for member, score in due}
    return found


def dump_snapshot(snapshot: Snapshot) -> dict[str, Any]:
    found: dict[str, Any] = {
        family: {
            key: asdict(r) if is_dataclass(r) else r  # type: ignore[arg-type]
            for key, r in records.items()
        }
        for family, records in snapshot.records.items()
    }
    found["members"] = {key: sorted(members) for key, members in snapshot.members.items()}
    found["due"] = dict(snapshot.due)
    records = snapshot.records[MILESTONES].values()
    scopes = {scope for record in records for scope in scopes_of(record)}  # type: ignore[arg-type]
    found["aggregates"] = {
        s: t.to_dict() for s, (t, _) in snapshot.kept(list(scopes), date.max).items()
    }
    found["open"] = {}
    for scope in scopes:
        index = {
            record["milestone_id"]: ordinal  # type: ignore[index]
            for record in records
            if scope in scopes_of(record)  # type: ignore[arg-type]
            and (ordinal := open_ordinal(record)) is not None  # type: ignore[arg-type]
        }
        if index:
            found["open"][scope] = index
    return found


def reference(services: Services) -> dict[str, Any]:
    """The read model a full rebuild must produce: the pure fold of the whole log."""
    return dump_snapshot(fold(services.store.iter_log()))


def assert_no_double_application(dumped: dict[str, Any]) -> None:
    for milestone_id, record in dumped[MILESTONES].items():
        assert record["applied"] == record["version"], f"{milestone_id} applied twice"


VERBS = (
    "start",
    "progress",
    "reschedule",
    "block",
    "unblock",
    "evidence",
    "complete",
    "verify",
    "dispute",
    "cancel",
    "comment",
)


class Scenario:
    """Two programmes, three initiatives; milestones driven by the domain decisions."""

    def __init__(self, services: Services, today: date) -> None:
        self.services, self.today = services, today
        self.initiatives: list[tuple[pg.Initiative, str]] = []
        self.milestones: list[str] = []
        for p in range(2):
            pid = f"00000000-0000-4000-8000-00000000000{p}"
            made = pg.create_programme(
                programme_id=pid, title=f"Programme {p}", description="", lead_agency=AGENCIES[0]
            )
            self._append(f"programme-{pid}", made, 0, parent="")
            programme = pg.fold_programme(made)
            assert programme is not None
            for i in range(2 - p):
                iid = f"00000000-0000-4000-9000-0000000000{p}{i}"
                launched = pg.launch_initiative(
                    programme,
                    initiative_id=iid,
                    title=f"I{p}.{i}",
                    description="",
                    owner_agency=AGENCIES[i],
                    lead="lead",
                )
                self._append(f"initiative-{iid}", launched, 0, parent=f"programme-{pid}")
                initiative = pg.fold_initiative(launched)
                assert initiative is not None
                self.initiatives.append((initiative, f"initiative-{iid}"))

    def _append(self, stream: str, events: list, version: int, parent: str | None = None) -> None:
        self.services.store.append(
            stream, events, expected_version=version, actor=OVERSEER, parent=parent
        )

    def plan(self, which: int, due_offset: int) -> None:
        initiative, stream = self.initiatives[which % len(self.initiatives)]
        milestone_id = f"10000000-0000-4000-8000-{len(self.milestones):012d}"
        events = ms.plan(
            milestone_id=milestone_id,
            initiative_id=initiative.initiative_id,
            programme_id=initiative.programme_id,
            title=f"M{len(self.milestones)}",
            description="",
            owner_agency=initiative.owner_agency,
            planned_start=self.today - timedelta(days=90),
            due_date=self.today + timedelta(days=due_offset),
        )
        self._append(f"milestone-{milestone_id}", events, 0, parent=stream)
        self.milestones.append(milestone_id)

    def act(self, which: int, first_verb: int, number: int, tries: int = len(VERBS)) -> str | None:
        """Apply the first command, trying ``tries`` verbs in turn from ``first_verb``, that
        the milestone's state allows; the verb applied (None: no milestone or none allowed)."""
        if not self.milestones:
            return None
        stream = f"milestone-{self.milestones[which % len(self.milestones)]}"
        recorded = self.services.store.read_stream(stream)
        state = ms.fold([from_payload(e.type, e.payload) for e in recorded])
        assert state is not None
        for offset in range(tries):
            verb = VERBS[(first_verb + offset) % len(VERBS)]
            try:
                events = decide(state, verb, number)
            except DomainError:
                continue
            self._append(stream, events, len(recorded))
            return verb
        return None


def decide(state: ms.Milestone, verb: str, number: int) -> list:
    if verb == "progress":
        return ms.report_progress(state, number % 101)
    if verb == "reschedule":
        return ms.reschedule(state, state.due_date + timedelta(days=number - 50), "re-plan")
    if verb == "evidence":
        return ms.attach_evidence(
            state,
            uri="https://e.example/f.pdf",
            sha256=f"{number:064x}",
            media_type="application/pdf",
            captured_at="2026-01-01",
        )
    reasons = {"block": "waiting", "dispute": "not seen", "cancel": "dropped", "comment": "ok"}
    simple: dict[str, Callable[..., list[DomainEvent]]] = {
        "start": ms.start,
        "unblock": ms.unblock,
        "complete": ms.report_complete,
        "verify": ms.verify,
        "block": ms.block,
        "dispute": ms.dispute,
        "cancel": ms.cancel,
        "comment": ms.comment,
    }
    return simple[verb](state, reasons[verb]) if verb in reasons else simple[verb](state)


# Cancelling ends a milestone's story early, so it is drawn rarely.
WEIGHTS = {
    "start": 5,
    "progress": 5,
    "reschedule": 2,
    "block": 2,
    "unblock": 3,
    "evidence": 3,
    "complete": 4,
    "verify": 4,
    "dispute": 2,
    "cancel": 1,
    "comment": 1,
}


def random_history(scenario: Scenario, steps: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(steps):
        if not scenario.milestones or rng.random() < 0.15:
            scenario.plan(rng.randrange(3), rng.randint(-60, 60))
        else:
            [verb] = rng.choices(VERBS, weights=[WEIGHTS[v] for v in VERBS])
            scenario.act(rng.randrange(1000), VERBS.index(verb), rng.randrange(101), tries=1)


def play(
    services: Services,
    clock: FrozenClock,
    steps: list[tuple[int, str, int]],
    read: Callable[[int], None] | None = None,
) -> Scenario:
    """Steps of history: hours to move the clock, then plan a milestone, act on one, run
    the projector, or ``read`` (given the step's number); projected to the end."""
    scenario = Scenario(services, clock.today())
    for hours, what, number in steps:
        clock.advance(timedelta(hours=hours))
        if what == "plan" or not scenario.milestones:
            scenario.plan(number % 3, number % 120 - 60)
        elif what == "act":
            verbs = [v for v in VERBS for _ in range(WEIGHTS[v])]
            scenario.act(number, VERBS.index(verbs[number % len(verbs)]), number % 101, tries=1)
        elif what == "read" and read is not None:
            read(number)
        else:
            Projector(services, batch_size=1 + number % 9).catch_up()
    Projector(services, batch_size=5).catch_up()
    return scenario
