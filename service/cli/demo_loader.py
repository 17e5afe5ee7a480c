"""The example programme from the brief, loaded through the Tracker like any client's
commands, so every demo fact is a hash-chained event with an actor.

Dates are relative to the clock's today, so the overdue milestones stay overdue
whenever the demo is loaded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from service.access import policy
from service.access.policy import TokenRecord
from service.bootstrap import Services
from service.cli.demo_data import PROGRAMME, initiatives
from service.runtime.clock import isoformat
from service.tracking.domain.milestone import Milestone
from service.tracking.tracker import MILESTONE_COMMANDS

LOADER = "demo-overseer"  # token id of the demo's overseer; no real token has it


class DemoAlreadyLoaded(Exception):
    pass


@dataclass
class DemoSummary:
    programme_id: str
    milestones: list[tuple[str, Milestone]] = field(default_factory=list)  # (initiative, state)


def _reporter(agency: str, now: datetime) -> TokenRecord:
    # Not stored in the token registry: nobody can authenticate as the demo loader.
    return TokenRecord(
        f"demo-reporter-{agency}", "reporter", agency, "reform-tracker demo", isoformat(now)
    )


def existing_programme(services: Services) -> str | None:
    """The programme an earlier demo loaded: recognised by who created it, not by its
    title, so a user's own "Army reform 2026" does not block the demo."""
    for stream in services.store.children(""):
        first = services.store.read_stream(stream, limit=1)
        if first and first[0].actor["token_id"] == LOADER:
            return stream.split("-", 1)[1]
    return None


def load_demo(services: Services) -> DemoSummary:
    tracker, now = services.tracker, services.clock.now()
    if found := existing_programme(services):
        raise DemoAlreadyLoaded(
            f"the demo programme {PROGRAMME['title']!r} already exists "
            f"(id {found}); nothing was loaded"
        )
    overseer = TokenRecord(LOADER, "overseer", None, "reform-tracker demo", isoformat(now))
    correlation_id = f"demo-{uuid.uuid4()}"
    programme = tracker.create_programme(overseer, correlation_id=correlation_id, **PROGRAMME)
    summary = DemoSummary(programme.loaded.state.programme_id)
    today = services.clock.today()
    for initiative in initiatives(today, now):
        launched = tracker.launch_initiative(
            overseer,
            summary.programme_id,
            correlation_id=correlation_id,
            **initiative.fields,
        )
        initiative_id = launched.loaded.state.initiative_id
        for planned in initiative.milestones:
            outcome = tracker.plan_milestone(
                overseer, initiative_id, correlation_id=correlation_id, **planned.fields(today)
            )
            state = outcome.loaded.state
            reporter = _reporter(state.owner_agency, now)
            for verb, args in planned.steps:
                actor = reporter if _reporters_do(verb) else overseer
                state = tracker.command(
                    actor, state.milestone_id, verb, args, correlation_id=correlation_id
                ).loaded.state
            summary.milestones.append((initiative.fields["title"], state))
    services.appended()  # wake the projector, as the API does after its appends
    return summary


def _reporters_do(verb: str) -> bool:
    _decision, permission = MILESTONE_COMMANDS[verb]
    return "reporter" in policy.ALLOWED[permission]
