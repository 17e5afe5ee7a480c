"""The charts of the dashboard pages, from the same queries as the dashboards themselves.

A trend is the dashboard asked again for the end of each of the last weeks, through
DashboardQueries' as-of: whatever makes as-of answers (the log folded to that day, or a
snapshot of it) makes the trend points, so a point always equals the dashboard a reader
gets by picking that date under "Status as of". Weeks before the programme or agency
existed are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from service.dashboards.domain import charts
from service.dashboards.domain.charts import Gantt, OnTime, Trend, WeekPoint
from service.dashboards.queries import DashboardQueries
from service.ledger.domain.errors import NotFound


def weekly(read: Callable[[date], dict[str, Any]], until: date) -> list[WeekPoint]:
    """``read(day)`` for each week end up to ``until``, oldest first, from the first week
    that has an answer (a scope that exists never stops existing)."""
    points: list[WeekPoint] = []
    for day in reversed(charts.week_ends(until)):
        try:
            found = read(day)
        except NotFound:
            break
        points.append(WeekPoint(day, found["percent_complete"], dict(found["counts_by_rag"])))
    return points[::-1]


def initiative_timeline(dashboard: dict[str, Any]) -> Gantt:
    return charts.gantt(dashboard["milestones"], dashboard["as_of_date"])


def programme_trend(queries: DashboardQueries, dashboard: dict[str, Any]) -> Trend:
    programme_id = dashboard["programme_id"]
    return charts.trend(
        weekly(lambda day: queries.programme(programme_id, day), dashboard["as_of_date"])
    )


def agency_trend(queries: DashboardQueries, scorecard: dict[str, Any]) -> Trend:
    agency = scorecard["agency"]
    return charts.trend(weekly(lambda day: queries.scorecard(agency, day), scorecard["as_of_date"]))


def agency_on_time(scorecard: dict[str, Any]) -> OnTime:
    return charts.on_time(scorecard["deliveries"])
