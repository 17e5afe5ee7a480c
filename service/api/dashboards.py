"""Dashboards as JSON: every programme, one programme, one initiative, an agency scorecard.

Each answer says which log position it reflects (as_of_position) and how far the
projection lags the log (lag_events). ?as_of=YYYY-MM-DD answers from the log folded to
the end of that day. ETag/If-None-Match: an unchanged answer costs a 304 and three small
Redis reads, without computing the dashboard.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from schemas.dashboards import (
    AsOfArgs,
    InitiativeDashboardSchema,
    OverviewSchema,
    ProgrammeDashboardSchema,
    ScorecardSchema,
)
from service.api.auth import reader, services
from service.dashboard_queries import DashboardQueries

blp = Blueprint(
    "dashboards",
    __name__,
    description="Status dashboards projected from the event log: "
    "progress, overdue and due-soon milestones, RAG with its reasons, agency scorecards.",
)


def cached(compute: Callable[[DashboardQueries, date | None], dict[str, Any]], args: dict):
    """The dashboard, or 304 when the caller's ETag still names the same answer."""
    reader()
    queries = DashboardQueries(services())
    as_of = args.get("as_of")
    tag = queries.etag(request.full_path, as_of)
    if tag in [value.strip() for value in request.headers.get("If-None-Match", "").split(",")]:
        return Response(status=304, headers={"ETag": tag})
    return compute(queries, as_of), 200, {"ETag": tag}


@blp.route("/dashboard")
class Overview(MethodView):
    @blp.arguments(AsOfArgs, location="query", unknown=RAISE)
    @blp.response(200, OverviewSchema)
    @blp.alt_response(304, description="Not modified since the ETag in If-None-Match")
    def get(self, args: dict[str, Any]) -> Any:
        """Every programme: RAG, counts by status, % complete, overdue and due-soon lists."""
        return cached(lambda q, as_of: q.overview(as_of), args)


@blp.route("/programmes/<uuid:programme_id>/dashboard")
class ProgrammeDashboard(MethodView):
    @blp.arguments(AsOfArgs, location="query", unknown=RAISE)
    @blp.response(200, ProgrammeDashboardSchema)
    @blp.alt_response(304, description="Not modified since the ETag in If-None-Match")
    def get(self, args: dict[str, Any], programme_id: Any) -> Any:
        """One programme with a summary per initiative."""
        return cached(lambda q, as_of: q.programme(str(programme_id), as_of), args)


@blp.route("/initiatives/<uuid:initiative_id>/dashboard")
class InitiativeDashboard(MethodView):
    @blp.arguments(AsOfArgs, location="query", unknown=RAISE)
    @blp.response(200, InitiativeDashboardSchema)
    @blp.alt_response(304, description="Not modified since the ETag in If-None-Match")
    def get(self, args: dict[str, Any], initiative_id: Any) -> Any:
        """One initiative with every milestone: planned vs current due date, slip, RAG."""
        return cached(lambda q, as_of: q.initiative(str(initiative_id), as_of), args)


@blp.route("/agencies/<string:agency>/scorecard")
class AgencyScorecard(MethodView):
    @blp.arguments(AsOfArgs, location="query", unknown=RAISE)
    @blp.response(200, ScorecardSchema)
    @blp.alt_response(304, description="Not modified since the ETag in If-None-Match")
    def get(self, args: dict[str, Any], agency: str) -> Any:
        """On-time rate, overdue count, verified vs reported, for one owner agency."""
        return cached(lambda q, as_of: q.scorecard(agency, as_of), args)
