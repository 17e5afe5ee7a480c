"""A long history for the scale benchmarks: months of milestones, each event recorded on
its own day, appended with the store's batch append (one pipeline per chunk).

Ten programmes of ten initiatives. Milestones are due 30 to 1,000 days after they are
planned (a reform runs for years). Every day some milestones are planned, each with its
whole story appended at once on that day (start, progress, evidence, a reschedule,
completion, verification; or less of it), so the log holds one day after another, as a
deployment that has run for months would. A milestone due before the last day was almost
always carried through to verification (``OVERDUE_SHARE`` of them were not): dashboards
list their overdue and due-soon milestones, and a programme whose every late milestone
is overdue is not what the read path is sized for. Milestone streams are appended
without a parent link (the batch append takes none), which only the per-programme as-of
fold reads; the benchmarks do not.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from service.bootstrap import Services
from service.ledger.batch import append_each
from service.ledger.domain.chain import Actor
from service.runtime.clock import FrozenClock
from service.tracking.domain import milestone as ms
from service.tracking.domain import programme as pg
from service.tracking.domain.events import DomainEvent

ACTOR = Actor(token_id="bench", role="overseer", agency=None)
AGENCIES = ("Prosecutor General's Office", "Ministry of Defence", "General Staff")
SHA = "ab" * 32
OVERDUE_SHARE = 0.005
CHUNK = 250  # milestones per batch append


@dataclass(frozen=True)
class History:
    head: int
    milestones: int
    first_day: date
    last_day: date
    programmes: list[str]
    initiatives: list[str]


def _story(state: ms.Milestone, steps: int, rng: random.Random) -> list[DomainEvent]:
    moves = [
        lambda s: ms.start(s, "kick-off"),
        lambda s: ms.report_progress(s, 30, "units equipped"),
        lambda s: ms.attach_evidence(
            s,
            uri="https://example.org/e.pdf",
            sha256=SHA,
            media_type="application/pdf",
            captured_at="2026-03-01",
        ),
        lambda s: ms.reschedule(s, s.due_date + timedelta(days=rng.randint(1, 30)), "supplier"),
        lambda s: ms.report_progress(s, 80, "most units equipped"),
        lambda s: ms.report_complete(s, "all units equipped"),
        lambda s: ms.verify(s, "checked"),
    ]
    events: list[DomainEvent] = []
    for move in moves[:steps]:
        decided = move(state)
        for event in decided:
            state = ms.evolve(state, event)
        events += decided
    return events


def append_history(
    services: Services,
    clock: FrozenClock,
    *,
    last_day: date,
    days: int,
    events: int | None = None,
    milestones: int | None = None,
    seed: int = 11,
    after_day: Callable[[int], None] | None = None,
) -> History:
    """Append ``events`` events (or ``milestones`` milestones) spread evenly over ``days``
    days ending on ``last_day``; ``clock`` is the one ``services`` stamps events with.
    ``after_day(n)`` runs once day ``n`` (from 0) is appended."""
    rng = random.Random(seed)
    store = services.store
    first_day = last_day - timedelta(days=days - 1)
    clock.set(datetime.combine(first_day, datetime.min.time(), UTC) + timedelta(hours=8))
    programmes, initiatives = _programmes(services)
    planned = 0
    for day_number in range(days):
        day = first_day + timedelta(days=day_number)
        clock.set(datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9))
        while True:
            if events is not None:
                # Stories vary in length: plan until the day's share of events is in.
                due = events * (day_number + 1) // days - store.head_position()
                today = max(0, min(CHUNK, due // 3))
            else:
                today = (milestones or 0) * (day_number + 1) // days - planned
            if today <= 0:
                break
            batch = []
            for _ in range(min(CHUNK, today)):
                programme_id, initiative_id, agency = rng.choice(initiatives)
                batch.append(_milestone(programme_id, initiative_id, agency, day, last_day, rng))
            append_each(store, batch, actor=ACTOR)
            planned += len(batch)
            clock.advance(timedelta(seconds=30))
        if after_day:
            after_day(day_number)
    return History(
        store.head_position(),
        planned,
        first_day,
        last_day,
        programmes,
        [initiative for _, initiative, _ in initiatives],
    )


def _milestone(
    programme_id: str,
    initiative_id: str,
    agency: str,
    day: date,
    last_day: date,
    rng: random.Random,
) -> tuple[str, list[DomainEvent], int]:
    milestone_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    due = day + timedelta(days=rng.randint(30, 1000))
    planned = ms.plan(
        milestone_id=milestone_id,
        initiative_id=initiative_id,
        programme_id=programme_id,
        title=f"Milestone {milestone_id[:8]}",
        description="",
        owner_agency=agency,
        planned_start=day,
        due_date=due,
    )
    state = ms.fold(planned)
    assert state is not None
    done = due < last_day and rng.random() > OVERDUE_SHARE
    steps = 7 if done else rng.randint(0, 4)
    return f"milestone-{milestone_id}", planned + _story(state, steps, rng), 0


def _programmes(services: Services) -> tuple[list[str], list[tuple[str, str, str]]]:
    store = services.store
    programmes: list[str] = []
    initiatives: list[tuple[str, str, str]] = []
    for p in range(10):
        programme_id = str(uuid.uuid4())
        decided = pg.create_programme(
            programme_id=programme_id,
            title=f"Programme {p}",
            description="",
            lead_agency=AGENCIES[0],
        )
        store.append(
            f"programme-{programme_id}", decided, expected_version=0, actor=ACTOR, parent=""
        )
        programme = pg.fold_programme(decided)
        assert programme is not None
        programmes.append(programme_id)
        for i in range(10):
            initiative_id, agency = str(uuid.uuid4()), AGENCIES[(p + i) % len(AGENCIES)]
            store.append(
                f"initiative-{initiative_id}",
                pg.launch_initiative(
                    programme,
                    initiative_id=initiative_id,
                    title=f"Initiative {p}.{i}",
                    description="",
                    owner_agency=agency,
                    lead="lead",
                ),
                expected_version=0,
                actor=ACTOR,
                parent=f"programme-{programme_id}",
            )
            initiatives.append((programme_id, initiative_id, agency))
    return programmes, initiatives
