"""The charts of the dashboard pages, from the same queries as the dashboards themselves.

A trend is the dashboard asked again for the end of each of the last weeks, through
DashboardQueries' as-of: whatever makes as-of answers (the log folded to that day, or a
snapshot of it) makes the trend points, so a point always equals the dashboard a reader
gets by picking that date under "Status as of". Weeks before the programme or agency
existed are left out.

Each point costs an as-of answer, so the points of weeks that are over for good are
remembered in the process (a bounded number of them): the log only grows, and an event
is recorded at the time it is appended, so nothing can change the status at the end of a
day once the clock-skew margin of the as-of fold (an hour into the next day) has passed.
A page's first view pays for every week; later views pay for the newest weeks only. The
weeks end on Sundays, whose end-of-day snapshots are kept longest.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date, timedelta
from functools import partial
from typing import Any

from service.dashboards.domain import charts, dashboards
from service.dashboards.domain.aggregates import agency_scope, programme_scope
from service.dashboards.domain.charts import Gantt, OnTime, Trend, WeekPoint
from service.dashboards.queries import DashboardQueries
from service.dashboards.summary_memo import SummaryMemo
from service.ledger.domain.errors import NotFound

SETTLED_AFTER = timedelta(days=2)  # the day itself, and the as-of fold's clock-skew margin
REMEMBERED = 20_000  # weekly points kept per process: about 10 MB (measured 5.2 MB per 10,000)
# (scope, day) -> (point,), the point None before the scope existed; shared by threads.
_settled = SummaryMemo(entries=REMEMBERED)


def weekly(
    read: Callable[[date], dict[str, Any]], until: date, *, scope: Hashable, today: date
) -> list[WeekPoint]:
    """``read(day)`` for each week end up to ``until``, oldest first, from the first week
    that has an answer (a scope that exists never stops existing). ``scope`` names what
    ``read`` reads, for remembering the weeks settled by ``today``."""
    points: list[WeekPoint] = []
    for day in reversed(charts.week_ends(until)):
        key = (scope, day)
        remembered = _settled.get(key)
        if remembered is not None:
            (point,) = remembered
        else:
            point = _point(read, day)
            if day + SETTLED_AFTER <= today:
                _settled.put(key, (point,))
        if point is None:
            break
        points.append(point)
    return points[::-1]


def _point(read: Callable[[date], dict[str, Any]], day: date) -> WeekPoint | None:
    try:
        found = read(day)
    except NotFound:
        return None
    return WeekPoint(day, found["percent_complete"], dict(found["counts_by_rag"]))


def forget_settled_weeks() -> None:
    """Drop every remembered point (benchmarks measure a first view with it)."""
    _settled.clear()


def _scope(queries: DashboardQueries, kind: str, name: str) -> Hashable:
    """Which log (see ``DashboardQueries.log_name``), and which rules."""
    return (queries.log_name(), queries.rules, kind, name)


def initiative_timeline(dashboard: dict[str, Any]) -> Gantt:
    return charts.gantt(dashboard["milestones"], dashboard["as_of_date"])


def _rollup_on(queries: DashboardQueries, kind: str, name: str, day: date) -> dict[str, Any]:
    """The roll-up of a programme or an agency at the end of ``day`` — what its dashboard
    or scorecard says of it then, without their other parts (the initiatives' roll-ups,
    the deliveries) — from the as-of reading of the whole log: the end-of-day snapshot of
    that day or before with the rest of the day folded onto it (far cheaper than folding
    the programme's streams one read each, as ``queries.programme`` does for one day;
    see docs/benchmarks.md)."""
    reading = queries.reading(day)
    scope = programme_scope(name) if kind == "programme" else agency_scope(name)
    exists = kind != "programme" or reading.source.programme(name) is not None
    summaries = dashboards.scope_summaries(
        reading.source, [scope], reading.today, queries.rules, reading.memo
    )
    found = summaries[scope][1]
    if not exists or (kind == "agency" and not found["milestone_count"]):
        raise NotFound(f"{kind} {name}", kind, name)
    return found


def programme_trend(queries: DashboardQueries, dashboard: dict[str, Any]) -> Trend:
    return _trend(queries, "programme", dashboard["programme_id"], dashboard["as_of_date"])


def agency_trend(queries: DashboardQueries, scorecard: dict[str, Any]) -> Trend:
    return _trend(queries, "agency", scorecard["agency"], scorecard["as_of_date"])


def _trend(queries: DashboardQueries, kind: str, name: str, until: date) -> Trend:
    return charts.trend(
        weekly(
            partial(_rollup_on, queries, kind, name),
            until,
            scope=_scope(queries, kind, name),
            today=queries.services.clock.today(),
        )
    )


def agency_on_time(scorecard: dict[str, Any]) -> OnTime:
    return charts.on_time(scorecard["deliveries"], scorecard["deliveries_count"])
