"""A large, realistic event log for the projector benchmark.

Ten programmes of ten initiatives; each milestone is planned and taken through its
lifecycle by the domain decisions (start, progress, evidence, a reschedule, completion,
verification or dispute), so every event is one the service could have recorded. A
milestone's whole history goes in one append, which keeps generation fast without
bypassing EventStore's hash chains.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

from service.bootstrap import Services
from service.ledger.domain.chain import Actor
from service.tracking.domain import milestone as ms
from service.tracking.domain import programme as pg
from service.tracking.domain.events import DomainEvent

ACTOR = Actor(token_id="bench", role="overseer", agency=None)
AGENCIES = ("Prosecutor General's Office", "Ministry of Defence", "General Staff")
SHA = "ab" * 32


def lifecycle(
    state: ms.Milestone, rng: random.Random, steps: int | None = None, disputed: float = 0.3
) -> list[DomainEvent]:
    """The first ``steps`` moves of a milestone's story (None: a random number of them),
    decided by the domain; the last is verification, or a dispute for ``disputed`` of them."""
    moves = [
        lambda s: ms.start(s, "kick-off"),
        lambda s: ms.report_progress(s, 20, "cameras ordered"),
        lambda s: ms.attach_evidence(
            s,
            uri="https://example.org/e.pdf",
            sha256=SHA,
            media_type="application/pdf",
            captured_at="2026-03-01",
        ),
        lambda s: ms.reschedule(s, s.due_date + timedelta(days=rng.randint(1, 60)), "supplier"),
        lambda s: ms.report_progress(s, 60, "half the units equipped"),
        lambda s: ms.comment(s, "site visit done"),
        lambda s: ms.report_complete(s, "all units equipped"),
        lambda s: ms.verify(s, "checked") if rng.random() >= disputed else ms.dispute(s, "sample"),
    ]
    events: list[DomainEvent] = []
    for move in moves[: rng.randint(0, len(moves)) if steps is None else steps]:
        decided = move(state)
        for event in decided:
            state = ms.evolve(state, event)
        events += decided
    return events


FULL_STORY = 8  # every move of ``lifecycle``, to verification


def programmes_and_initiatives(services: Services) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Ten programmes of ten initiatives: the programme ids, and (programme id,
    initiative id, owner agency) of each initiative."""
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


def append_demo_log(services: Services, events: int, seed: int = 7) -> int:
    """Append about ``events`` events; the head position reached."""
    rng = random.Random(seed)
    store = services.store
    _, initiatives = programmes_and_initiatives(services)
    while (head := store.head_position()) < events:
        programme_id, initiative_id, agency = rng.choice(initiatives)
        milestone_id = str(uuid.uuid4())
        due = date(2026, 1, 1) + timedelta(days=rng.randint(0, 700))
        planned = ms.plan(
            milestone_id=milestone_id,
            initiative_id=initiative_id,
            programme_id=programme_id,
            title=f"Milestone {head}",
            description="",
            owner_agency=agency,
            planned_start=date(2026, 1, 1),
            due_date=due,
        )
        state = ms.fold(planned)
        assert state is not None
        store.append(
            f"milestone-{milestone_id}",
            planned + lifecycle(state, rng),
            expected_version=0,
            actor=ACTOR,
            parent=f"initiative-{initiative_id}",
        )
    return head
