"""Dashboards as JSON: every programme, one programme, one initiative, an agency scorecard.

Each answer says which log position it reflects (as_of_position) and how far the
projection lags the log (lag_events). A past ?as_of=YYYY-MM-DD answers from the log
folded to the end of that day. ETag/If-None-Match: an unchanged answer costs a 304 and one
round trip to Redis (the token and the tag's reads together), without computing it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema

from schemas.dashboards import (
    AsOfArgs,
    InitiativeDashboardSchema,
    OverviewSchema,
    ProgrammeDashboardSchema,
    ScorecardSchema,
)
from service.api.auth import reader_with, reads_publicly, services
from service.dashboards.queries import DashboardQueries
from service.dashboards.summary_memo import SummaryMemo

blp = Blueprint(
    "dashboards",
    __name__,
    description="Status dashboards projected from the event log: "
    "progress, overdue and due-soon milestones, RAG with its reasons, agency scorecards.",
)


# Answers this process has sent, by ETag: while nothing changes (no append, projected
# batch, day or check), a read costs the ETag's few Redis reads and no serialising.
# Bounded in entries; an overview at 100,000 milestones is about half a megabyte.
_answers = SummaryMemo(entries=64)


def cached(
    compute: Callable[[DashboardQueries, date | None], dict[str, Any]],
    args: dict[str, Any],
    schema: type[Schema],
) -> Any:
    """The dashboard, or 304 when the caller's ETag still names the same answer."""
    queries = DashboardQueries(services(), public=reads_publicly())
    as_of = args.get("as_of")
    # The caller's token and everything the tag depends on, in one round trip.
    _, tag = reader_with(queries.etag_read(request.full_path, as_of))
    if tag in [value.strip() for value in request.headers.get("If-None-Match", "").split(",")]:
        return Response(status=304, headers={"ETag": tag})
    # The tag names the answer for this path and query; the prefix, the deployment.
    key = (queries.services.keys.prefix, tag)
    body = _answers.get(key)
    if body is None:
        body = current_app.json.dumps(schema().dump(compute(queries, as_of))) + "\n"
        _answers.put(key, body)
    return Response(body, status=200, mimetype="application/json", headers={"ETag": tag})


def _dashboard(
    rule: str,
    schema: type[Schema],
    summary: str,
    compute: Callable[..., dict[str, Any]],
) -> None:
    """One GET route: ``compute(queries, as_of, **path_arguments)`` behind the ETag check."""

    class Dashboard(MethodView):
        @blp.arguments(AsOfArgs(), location="query", unknown=RAISE)
        @blp.response(200, schema)
        @blp.alt_response(304, description="Not modified since the ETag in If-None-Match")
        @blp.doc(summary=summary)
        def get(self, args: dict[str, Any], **path: Any) -> Any:
            return cached(lambda q, as_of: compute(q, as_of, **path), args, schema)

    Dashboard.__name__ = schema.__name__.removesuffix("Schema")
    blp.add_url_rule(rule, view_func=Dashboard)


_dashboard(
    "/dashboard",
    OverviewSchema,
    "Every programme: RAG, counts by status, % complete, overdue and due-soon lists",
    lambda q, as_of: q.overview(as_of),
)
_dashboard(
    "/programmes/<uuid:programme_id>/dashboard",
    ProgrammeDashboardSchema,
    "One programme, with a summary per initiative",
    lambda q, as_of, programme_id: q.programme(str(programme_id), as_of),
)
_dashboard(
    "/initiatives/<uuid:initiative_id>/dashboard",
    InitiativeDashboardSchema,
    "One initiative with every milestone: planned vs current due date, slip, RAG",
    lambda q, as_of, initiative_id: q.initiative(str(initiative_id), as_of),
)
_dashboard(
    "/agencies/<string:agency>/scorecard",
    ScorecardSchema,
    "On-time rate, overdue count, verified vs reported, for one owner agency",
    lambda q, as_of, agency: q.scorecard(agency, as_of),
)
