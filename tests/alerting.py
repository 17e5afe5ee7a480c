"""Building blocks for alert tests: milestones created through the tracker, read models
projected from the log, and the alert scan run against a frozen clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from rq import SimpleWorker

from service.access.policy import TokenRecord
from service.alerts.scan import OverdueScanner
from service.bootstrap import Services, bootstrap
from service.dashboards.projector import Projector
from service.tracking.domain.milestone import Milestone
from service.tracking.tracker import Outcome
from tests.conftest import AGENCY_A
from workers import runtime


class Tracked:
    """A programme and an initiative, and the milestones planned in it."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.overseer = self._token("overseer", None)
        self.reporter = self._token("reporter", AGENCY_A)
        programme = services.tracker.create_programme(
            self.overseer, title="Army reform 2026", description="", lead_agency="PGO"
        )
        self.programme_id = programme.loaded.state.programme_id
        initiative = services.tracker.launch_initiative(
            self.overseer,
            self.programme_id,
            title="Law and Order in the Army",
            description="",
            owner_agency=AGENCY_A,
            lead="Deputy Prosecutor General",
        )
        self.initiative_id = initiative.loaded.state.initiative_id

    def _token(self, role: str, agency: str | None) -> TokenRecord:
        return self.services.tokens.create(role, agency, role)[1]

    def plan(
        self, due: date, title: str = "Body cameras for guard duty", **options: Any
    ) -> Outcome[Milestone]:
        return self.services.tracker.plan_milestone(
            self.reporter,
            self.initiative_id,
            title=title,
            description="",
            planned_start=date(2026, 1, 15),
            due_date=due,
            **options,
        )

    def milestone(self, due: date, title: str = "Body cameras for guard duty") -> str:
        return self.plan(due, title).loaded.state.milestone_id

    def command(self, milestone_id: str, verb: str, **args: object) -> None:
        token = self.overseer if verb in ("verify", "dispute") else self.reporter
        self.services.tracker.command(token, milestone_id, verb, dict(args))


def project_read_models(services: Services) -> None:
    """Bring the read models and the due-date index up to the head of the log with the
    projector (the worker's job, done here so that a test controls when it happens)."""
    Projector(services).catch_up()


def wired(services: Services, **config: object) -> Services:
    """The same store and clock with alert settings changed, installed for RQ jobs."""
    rewired = bootstrap(
        services.config.with_(**config), clock=services.clock, client=services.redis
    )
    runtime.install(rewired)
    return rewired


def work_until(services: Services, done: Callable[[], bool], timeout: float = 30.0) -> None:
    """Run an in-process burst worker (with RQ's scheduler, for retries) until ``done``."""
    worker = SimpleWorker(services.jobs.queues, connection=services.jobs.connection)
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "jobs did not finish in time"
        if not worker.work(burst=True, with_scheduler=True, logging_level="WARNING"):
            time.sleep(0.1)  # a retry is scheduled a second ahead; poll, do not guess


def overdue_alert(services: Services, days: int = 3) -> tuple[Tracked, str]:
    """One overdue milestone, scanned: its AlertRaised is in the log."""
    tracked = Tracked(services)
    milestone = tracked.milestone(services.clock.today() - timedelta(days=days))
    project_read_models(services)
    OverdueScanner(services).scan()
    return tracked, milestone
