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

from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date, timedelta
from functools import partial
from typing import Any

from service.dashboards.domain import charts, dashboards
from service.dashboards.domain.charts import Gantt, OnTime, Trend, WeekPoint
from service.dashboards.queries import DashboardQueries
from service.ledger.domain.errors import NotFound

SETTLED_AFTER = timedelta(days=2)  # the day itself, and the as-of fold's clock-skew margin
REMEMBERED = 20_000  # weekly points kept per process: about 10 MB (measured 5.2 MB per 10,000)
_settled: OrderedDict[Hashable, WeekPoint | None] = OrderedDict()  # None: did not exist yet


def weekly(
    read: Callable[[date], dict[str, Any]], until: date, *, scope: Hashable, today: date
) -> list[WeekPoint]:
    """``read(day)`` for each week end up to ``until``, oldest first, from the first week
    that has an answer (a scope that exists never stops existing). ``scope`` names what
    ``read`` reads, for remembering the weeks settled by ``today``."""
    points: list[WeekPoint] = []
    for day in reversed(charts.week_ends(until)):
        key = (scope, day)
        if key in _settled:
            point = _settled[key]
            _settled.move_to_end(key)
        else:
            point = _point(read, day)
            if day + SETTLED_AFTER <= today:
                _remember(key, point)
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


def _remember(key: Hashable, point: WeekPoint | None) -> None:
    _settled[key] = point
    while len(_settled) > REMEMBERED:
        _settled.popitem(last=False)


def forget_settled_weeks() -> None:
    """Drop every remembered point (benchmarks measure a first view with it)."""
    _settled.clear()


def _scope(queries: DashboardQueries, kind: str, name: str) -> Hashable:
    """Which log, and which rules. A log is named by the hash of its first event, which
    no other log shares: several stores may share a process (key prefixes, tests), and a
    store wiped and filled again holds another log (or, imported, the same one)."""
    first = queries.services.store.read_log(0, 1, sealed=False)
    return (first[0].hash if first else None, queries.rules, kind, name)


def initiative_timeline(dashboard: dict[str, Any]) -> Gantt:
    return charts.gantt(dashboard["milestones"], dashboard["as_of_date"])


def _programme_on(queries: DashboardQueries, programme_id: str, day: date) -> dict[str, Any]:
    """The programme's dashboard at the end of ``day``, from the as-of reading of the whole
    log: the end-of-day snapshot of that day or before with the rest of the day folded
    onto it (far cheaper than folding the programme's streams one read each, as
    ``queries.programme`` does for one day; see docs/benchmarks.md)."""
    reading = queries.reading(day)
    found = dashboards.programme_dashboard(
        reading.source, programme_id, reading.today, queries.rules, reading.memo
    )
    if found is None:
        raise NotFound(f"programme {programme_id}", "programme", programme_id)
    return found


def programme_trend(queries: DashboardQueries, dashboard: dict[str, Any]) -> Trend:
    programme_id = dashboard["programme_id"]
    return charts.trend(
        weekly(
            partial(_programme_on, queries, programme_id),
            dashboard["as_of_date"],
            scope=_scope(queries, "programme", programme_id),
            today=queries.services.clock.today(),
        )
    )


def agency_trend(queries: DashboardQueries, scorecard: dict[str, Any]) -> Trend:
    agency = scorecard["agency"]
    return charts.trend(
        weekly(
            lambda day: queries.scorecard(agency, day),
            scorecard["as_of_date"],
            scope=_scope(queries, "agency", agency),
            today=queries.services.clock.today(),
        )
    )


def agency_on_time(scorecard: dict[str, Any]) -> OnTime:
    return charts.on_time(scorecard["deliveries"], scorecard["deliveries_count"])
