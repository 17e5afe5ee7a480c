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

from bench.projector_log import ACTOR, FULL_STORY, lifecycle, programmes_and_initiatives
from service.bootstrap import Services
from service.ledger.batch import append_each
from service.runtime.clock import FrozenClock
from service.tracking.domain import milestone as ms
from service.tracking.domain.events import DomainEvent

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
    programmes, initiatives = programmes_and_initiatives(services)
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
    steps = FULL_STORY if done else rng.randint(0, 4)
    return f"milestone-{milestone_id}", planned + lifecycle(state, rng, steps, disputed=0.0), 0
