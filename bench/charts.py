"""Charts: what the weekly trends add to a programme or agency page, against the page's
own dashboard, measured on the same Redis in the same run.

A trend asks DashboardQueries for the dashboard as of the end of each of the last 26 weeks
(see service/dashboards/charts.py), so its cost is about 25 as-of answers plus the live
one. Setup appends a programme's half-year history through the Tracker with the clock
moved week by week (each milestone planned, started, then three progress reports two
weeks apart), so the as-of folds read a real log. Run `python -m bench.charts`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from bench.own_redis import redis_url_or_own, run_section_from_command_line
from bench.results import compared
from service.access.policy import TokenRecord
from service.bootstrap import Services, bootstrap
from service.dashboards import charts
from service.dashboards.projector import Projector
from service.dashboards.queries import DashboardQueries
from service.runtime.clock import FrozenClock
from service.runtime.config import Config

NAME = "Charts"
PREFIX = "bench-charts"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
WEEKS = 26
AGENCY = "Agency A"
DESK = TokenRecord("bench-overseer", "overseer", None, "bench", "2026-01-01T00:00:00Z")
REPORTER = TokenRecord("bench-reporter", "reporter", AGENCY, "bench", "2026-01-01T00:00:00Z")


def populate(services: Services, clock: FrozenClock, milestones: int) -> str:
    """A programme of ``milestones`` in 10 initiatives, its history spread over 26 weeks."""
    start = NOW - timedelta(weeks=WEEKS)
    clock.set(start)
    tracker = services.tracker
    programme = tracker.create_programme(
        DESK, title="Bench programme", description="", lead_agency=AGENCY
    ).loaded.state.programme_id
    initiatives = [
        tracker.launch_initiative(
            DESK, programme, title=f"Initiative {n}", description="", owner_agency=AGENCY, lead=""
        ).loaded.state.initiative_id
        for n in range(10)
    ]
    steps: dict[int, list[tuple[int, str, dict[str, Any]]]] = defaultdict(list)
    for number in range(milestones):
        week = number * (WEEKS - 2) // milestones
        steps[week].append((number, "plan", {}))
        steps[week + 1].append((number, "start", {}))
        for report, percent in enumerate((25, 50, 75), start=1):
            steps[week + 1 + 2 * report].append(
                (number, "report-progress", {"percent": percent, "note": ""})
            )
    ids: dict[int, str] = {}
    for week in sorted(steps):
        if week >= WEEKS:
            continue
        clock.set(start + timedelta(weeks=week))
        for number, verb, args in steps[week]:
            if verb == "plan":
                ids[number] = tracker.plan_milestone(
                    DESK,
                    initiatives[number % 10],
                    title=f"Milestone {number}",
                    description="",
                    planned_start=(start + timedelta(weeks=week)).date(),
                    due_date=(start + timedelta(weeks=week + 4 + number % 20)).date(),
                ).loaded.state.milestone_id
            else:
                tracker.command(REPORTER, ids[number], verb, args)
    clock.set(NOW)
    Projector(services).catch_up()
    return programme


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def measure(services: Services, programme: str, repetitions: int) -> dict[str, list[float]]:
    """Each trend twice: a first view (no week remembered) and the next view."""
    queries = DashboardQueries(services)
    past = NOW.date() - timedelta(weeks=13)
    samples: dict[str, list[float]] = defaultdict(list)
    dashboard, scorecard = queries.programme(programme), queries.scorecard(AGENCY)
    trends = {
        "programme": partial(charts.programme_trend, queries, dashboard),
        "agency": partial(charts.agency_trend, queries, scorecard),
    }
    for _ in range(repetitions):
        samples["programme"].append(timed(lambda: queries.programme(programme)))
        samples["programme_as_of"].append(timed(lambda: queries.programme(programme, past)))
        samples["scorecard"].append(timed(lambda: queries.scorecard(AGENCY)))
        samples["scorecard_as_of"].append(timed(lambda: queries.scorecard(AGENCY, past)))
        for name, trend in trends.items():
            charts.forget_settled_weeks()
            samples[f"{name}_trend_first"].append(timed(trend))
            samples[f"{name}_trend_next"].append(timed(trend))
    return samples


def _rows(samples: dict[str, list[float]], milestones: int, events: int) -> list[dict[str, Any]]:
    size = f"{milestones} milestones, {events} events over {WEEKS} weeks"
    weekly = f"{WEEKS} weekly as-of answers"
    cases = (
        ("programme_trend_first", f"programme trend, first view ({weekly})", "programme"),
        (
            "programme_trend_next",
            "programme trend, next view (settled weeks remembered)",
            "programme",
        ),
        ("programme_as_of", "programme dashboard as of 13 weeks ago", "programme"),
        ("agency_trend_first", f"agency trend, first view ({weekly})", "scorecard"),
        ("agency_trend_next", "agency trend, next view (settled weeks remembered)", "scorecard"),
        ("scorecard_as_of", "agency scorecard as of 13 weeks ago", "scorecard"),
    )
    return [
        compared(
            f"{case}, {size}",
            "compute time",
            "ms",
            samples[name],
            samples[baseline],
            f"the live {baseline} dashboard (the page without charts)",
        ).to_dict()
        for name, case, baseline in cases
    ]


def run(quick: bool = True, redis_url: str | None = None) -> dict[str, Any]:
    milestones, repetitions = (60, 3) if quick else (500, 5)
    with redis_url_or_own(redis_url, "charts") as url:
        clock = FrozenClock(NOW)
        services = bootstrap(Config(redis_url=url, key_prefix=PREFIX), clock=clock)
        _clear(services)
        started = time.perf_counter()
        programme = populate(services, clock, milestones)
        setup_s = time.perf_counter() - started
        events = services.store.head_position()
        samples = measure(services, programme, repetitions)
        _clear(services)
    return {
        "rows": _rows(samples, milestones, events),
        "raw": samples,
        "notes": [
            f"history appended through the Tracker in {setup_s:.1f} s (not timed); "
            f"median of {repetitions} repetitions",
            "a trend point is the as-of reading of the whole log (DashboardQueries.reading: "
            "the log walked in batches up to a day after the date), so a first view grows "
            "with the log; the programme as-of baseline row folds the programme's own "
            "streams, one read each, as the programme page's ?as_of= does",
        ],
    }


def _clear(services: Services) -> None:
    for key in services.redis.scan_iter(match=f"{{{PREFIX}*", count=5000):
        services.redis.unlink(key)


if __name__ == "__main__":
    run_section_from_command_line("python -m bench.charts", run, "60 milestones, 3 repetitions")
