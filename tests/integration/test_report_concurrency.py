"""Bulk reports racing with single commands on the same milestones, in real threads, each
with its own connection to a real redis-server: every report is appended whole, at
consecutive global positions, or not at all, and the log verifies afterwards."""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import redis

from service.bootstrap import Services, bootstrap
from service.ledger.eventstore import VersionConflict
from service.runtime.clock import FrozenClock
from service.runtime.config import Config
from service.tracking.imports import ReportRefused
from service.tracking.spreadsheets import Table
from tests.alerting import Tracked

MILESTONES = 12
REPORTERS = 3
REPORTS_EACH = 8
DUE = date(2026, 12, 31)
PAUSE_SECONDS = 0.002  # between a writer's commands


def own_services(config: Config, clock: FrozenClock, url: str) -> Services:
    """Another service instance: its own connection, store and caches."""
    return bootstrap(config, clock=clock, client=redis.Redis.from_url(url, decode_responses=True))


def test_reports_racing_with_writers_are_appended_whole_or_not_at_all(
    config: Config, services: Services, clock: FrozenClock, redis_url: str
) -> None:
    tracked = Tracked(services)
    ids = [tracked.milestone(DUE, f"Milestone {n}") for n in range(MILESTONES)]
    for milestone_id in ids:
        tracked.command(milestone_id, "start")
    reports_done, halfway = threading.Event(), threading.Event()
    finished: list[str] = []

    def report(reporter: int) -> list[tuple[str, str]]:
        own = own_services(config, clock, redis_url)
        outcomes = []
        for number in range(REPORTS_EACH):
            correlation = f"report-{reporter}-{number}"
            table = Table(
                header=["milestone_id", "command", "percent"],
                records=[
                    (2 + row, {"milestone_id": m, "command": "progress", "percent": number})
                    for row, m in enumerate(ids)
                ],
            )
            if len(finished) == REPORTERS * REPORTS_EACH // 2:
                halfway.set()
            try:
                own.imports.apply(tracked.reporter, table, correlation_id=correlation)
                outcomes.append((correlation, "appended"))
            except ReportRefused as refused:
                # The last milestone was reported complete, or a milestone moved on
                # before every attempt: either way the rows named.
                assert len(refused.errors) == 1, refused.errors
                outcomes.append((correlation, "refused"))
            finished.append(correlation)
        return outcomes

    def write(writer: int) -> int:
        own = own_services(config, clock, redis_url)
        chosen = random.Random(writer)
        written, completed = 0, []
        while not reports_done.wait(PAUSE_SECONDS):
            milestone_id = chosen.choice(ids[:-1])
            try:
                own.tracker.command(
                    tracked.reporter, milestone_id, "report-progress", {"percent": 50}
                )
                written += 1
            except VersionConflict:
                continue
            if writer == 0 and halfway.is_set() and not completed:
                # The last milestone leaves "in progress": the reports still to come fail.
                own.tracker.command(tracked.reporter, ids[-1], "report-complete", {})
                completed.append(milestone_id)
        return written

    with ThreadPoolExecutor(REPORTERS + 2) as pool:
        writers = [pool.submit(write, n) for n in range(2)]
        reporters = [pool.submit(report, n) for n in range(REPORTERS)]
        try:
            outcomes = dict(outcome for future in reporters for outcome in future.result())
        finally:
            reports_done.set()
        assert sum(future.result() for future in writers) > 0

    positions: dict[str, list[int]] = defaultdict(list)
    for event in services.store.iter_log(sealed=False):
        if event.correlation_id and event.correlation_id.startswith("report-"):
            positions[event.correlation_id].append(event.position)
    for correlation, outcome in outcomes.items():
        appended = positions.get(correlation, [])
        if outcome == "appended":
            # One event per milestone, and no other writer's event in between.
            assert len(appended) == MILESTONES
            assert appended == list(range(appended[0], appended[0] + MILESTONES))
        else:
            assert appended == [], f"{correlation} was refused but wrote {len(appended)} events"
    assert "appended" in outcomes.values()
    assert services.tracker.load("milestone", ids[-1]).state.status == "reported_complete"
    services.store.sealer.seal_all()
    services.store.tree.grow_all()
    assert services.store.verify().ok
