"""The example programme from the brief, loaded through the Tracker like any client's
commands, so every demo fact is a hash-chained event with an actor.

Dates are relative to the clock's today, so the overdue milestones stay overdue whenever
the demo is loaded. Each fact is recorded at the time it happened in the story, months
back: the Tracker appends through a store whose clock is set to that time. Facts of every
stream are recorded in one time order, so recorded-at never goes backwards along the
global log (as-of folds of the whole log stop at the first event after the day asked
for). For the same reason a log that already holds events gets the history squeezed to
after its last event: the demo never records a fact before one already in the log.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Any

from service.access import policy
from service.access.policy import TokenRecord
from service.bootstrap import Services, bootstrap
from service.cli.demo_data import (
    PROGRAMME,
    PROGRAMME_CREATED,
    DemoInitiative,
    DemoMilestone,
    initiatives,
)
from service.runtime.clock import FrozenClock, isoformat
from service.tracking.domain.milestone import Milestone
from service.tracking.tracker import MILESTONE_COMMANDS, Tracker

LOADER = "demo-overseer"  # token id of the demo's overseer; no real token has it
WORKDAY_STARTS = time(9, tzinfo=UTC)  # facts of one day are recorded a minute apart from 09:00


class DemoAlreadyLoaded(Exception):
    pass


@dataclass
class DemoSummary:
    programme_id: str
    milestones: list[tuple[str, Milestone]] = field(default_factory=list)  # (initiative, state)
    first_recorded_at: str = ""
    squeezed_after: str | None = None  # the log's last event, if the history had to follow it


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


def _last_recorded_at(services: Services) -> datetime | None:
    head = services.store.head_position()
    last = services.store.read_log(head - 1, 1, sealed=False) if head else []
    return datetime.fromisoformat(last[0].recorded_at) if last else None


class _History:
    """Runs the story's facts in time order, each with the clock set to when it happened."""

    def __init__(self, services: Services, floor: datetime | None) -> None:
        self.now, self.today = services.clock.now(), services.clock.today()
        self.clock = FrozenClock(floor or datetime.min.replace(tzinfo=UTC))
        self.tracker: Tracker = bootstrap(
            services.config, clock=self.clock, client=services.redis
        ).tracker
        self.facts: list[tuple[int, Callable[[], None]]] = []

    def on(self, day: int, fact: Callable[[], None]) -> None:
        self.facts.append((day, fact))

    def at(self, day: int, nth: int) -> datetime:
        """When the ``nth`` fact of ``day`` happened: never after now."""
        workday = datetime.combine(self.today + timedelta(days=day), WORKDAY_STARTS)
        return min(workday + timedelta(minutes=nth), self.now)

    @property
    def story_starts(self) -> str:
        return isoformat(self.at(min(day for day, _fact in self.facts), 0))

    def run(self) -> None:
        per_day: dict[int, int] = {}
        # sorted() is stable: facts of one day keep the order the story gives them.
        for day, fact in sorted(self.facts, key=lambda item: item[0]):
            if day > 0:
                raise ValueError(f"a demo fact on day {day} would be recorded in the future")
            nth = per_day[day] = per_day.get(day, -1) + 1
            self.clock.set(max(self.at(day, nth), self.clock.now()))  # never before the last
            fact()


def load_demo(services: Services) -> DemoSummary:
    now = services.clock.now()
    if found := existing_programme(services):
        raise DemoAlreadyLoaded(
            f"the demo programme {PROGRAMME['title']!r} already exists "
            f"(id {found}); nothing was loaded"
        )
    floor = _last_recorded_at(services)
    history = _History(services, floor)
    tracker, today = history.tracker, history.today
    overseer = TokenRecord(LOADER, "overseer", None, "reform-tracker demo", isoformat(now))
    correlation_id = f"demo-{uuid.uuid4()}"
    summary = DemoSummary("")
    ids: dict[str, str] = {}  # initiative title -> id
    states: dict[str, tuple[str, Milestone]] = {}  # milestone title -> (initiative, state)

    def create_programme() -> None:
        outcome = tracker.create_programme(overseer, correlation_id=correlation_id, **PROGRAMME)
        summary.programme_id = outcome.loaded.state.programme_id
        summary.first_recorded_at = outcome.appended[0].recorded_at

    def launch(initiative: DemoInitiative) -> None:
        launched = tracker.launch_initiative(
            overseer, summary.programme_id, correlation_id=correlation_id, **initiative.fields
        )
        ids[initiative.fields["title"]] = launched.loaded.state.initiative_id

    def plan(initiative: str, planned: DemoMilestone) -> None:
        outcome = tracker.plan_milestone(
            overseer, ids[initiative], correlation_id=correlation_id, **planned.fields(today)
        )
        states[planned.title] = (initiative, outcome.loaded.state)

    def step(milestone: str, verb: str, args: dict[str, Any]) -> None:
        initiative, state = states[milestone]
        actor = _reporter(state.owner_agency, now) if _reporters_do(verb) else overseer
        outcome = tracker.command(
            actor, state.milestone_id, verb, args, correlation_id=correlation_id
        )
        states[milestone] = (initiative, outcome.loaded.state)

    history.on(PROGRAMME_CREATED, create_programme)
    for initiative in initiatives(today, now):
        title = initiative.fields["title"]
        history.on(initiative.launched_on, partial(launch, initiative))
        for planned in initiative.milestones:
            history.on(planned.planned_on, partial(plan, title, planned))
            for day, verb, args in planned.steps:
                history.on(day, partial(step, planned.title, verb, args))
    history.run()
    summary.milestones = list(states.values())
    if floor is not None and isoformat(floor) > history.story_starts:
        summary.squeezed_after = isoformat(floor)
    services.appended()  # wake the projector, as the API does after its appends
    return summary


def _reporters_do(verb: str) -> bool:
    _decision, permission = MILESTONE_COMMANDS[verb]
    return "reporter" in policy.ALLOWED[permission]
