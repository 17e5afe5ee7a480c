"""Open data: every dashboard table as CSV and as JSON, and iCalendar feeds of due dates.

One URL per table and format (``.csv``, ``.json``, ``.ics``) rather than content
negotiation: a link on a page, a spreadsheet's "import from URL" and a calendar app's
"subscribe" all need a URL that names its format. The same routes are mounted twice: here
for the API (a bearer token, or none in public read mode), and under ``/ui/data`` for the
pages' links, where the browser's sign-in cookie (path ``/ui``) is sent.

Downloads are streamed (flask.stream_with_context): rows are read from the read models a
page at a time (service/dashboards/open_data.py) and written as they come, so memory does
not grow with the table (docs/benchmarks.md, "Downloads"). They reflect the live read
models; a past date is for the JSON dashboards (?as_of=).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson
from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema

from schemas.downloads import (
    InitiativeRowDownload,
    MilestoneRowDownload,
    MilestoneTableArgs,
    ProgrammeRowDownload,
    TableArgs,
)
from service.access.policy import TokenRecord
from service.api import dashboard_pages
from service.api.auth import PUBLIC, presents_token, reader, services
from service.dashboards import calendar
from service.dashboards.open_data import OpenData, Scope
from service.dashboards.queries import DashboardQueries

blp = Blueprint(
    "downloads",
    __name__,
    description="Open data: every dashboard table as CSV and JSON, streamed, and iCalendar "
    "(RFC 5545) feeds of milestone due dates that calendar apps can subscribe to. No actor "
    "identities; with RT_PUBLIC_READ on, no token needed.",
)
CSV_ROWS_PER_CHUNK = 200
Rows = Callable[[OpenData, dict[str, Any], dict[str, Any]], Iterable[dict[str, Any]]]


def download_reader() -> TokenRecord:
    """A bearer token; else the pages' sign-in cookie (sent to /ui/data/...); else public
    read mode, or 401."""
    if not presents_token():
        signed_in = dashboard_pages.viewer()
        if signed_in is not None:
            return signed_in
    return reader()


def open_data() -> OpenData:
    """The rows for whoever asks: without internal fields for the public portal."""
    public = download_reader() is PUBLIC
    return OpenData(services(), DashboardQueries(services()).rules, public=public)


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def csv_chunks(columns: Iterable[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for number, row in enumerate(rows, start=1):
        writer.writerow([_cell(value) for value in row.values()])
        if number % CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """A JSON array, one row per line."""
    separator = b"[\n"
    for row in rows:
        yield separator + orjson.dumps(row)
        separator = b",\n"
    yield b"[]\n" if separator == b"[\n" else b"\n]\n"


def _text_answer(media_type: str, description: str) -> dict[str, Any]:
    """The OpenAPI description of a 200 that is text of ``media_type``."""
    content = {media_type: {"schema": {"type": "string"}}}
    return {"responses": {"200": {"description": description, "content": content}}}


def _streamed(chunks: Iterator[Any], mimetype: str, filename: str) -> Response:
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _table(
    rule: str,
    filename: str,
    row_schema: type[Schema],
    args_schema: type[Schema],
    summary: str,
    scope: Callable[..., Scope] | None,
    rows: Rows,
) -> None:
    """Two GET routes, ``rule + ".csv"`` and ``rule + ".json"``, for one table."""
    columns = tuple(row_schema().fields)

    def start(args: dict[str, Any], path: dict[str, Any]) -> Iterable[dict[str, Any]]:
        found = open_data()
        if scope is not None:
            found.check(scope(**path))  # 404 before the first byte
        return rows(found, args, path)

    class Csv(MethodView):
        @blp.arguments(args_schema(), location="query", unknown=RAISE)
        @blp.response(200, content_type="text/csv")
        @blp.doc(
            summary=summary + " (CSV)",
            **_text_answer("text/csv", "The table as CSV (RFC 4180), with a header row"),
        )
        def get(self, args: dict[str, Any], **path: Any) -> Response:
            found = start(args, path)
            return _streamed(csv_chunks(columns, found), "text/csv", f"{filename}.csv")

    class Json(MethodView):
        @blp.arguments(args_schema(), location="query", unknown=RAISE)
        @blp.response(200, row_schema(many=True), description="The table as a JSON array")
        @blp.doc(summary=summary + " (JSON)")
        def get(self, args: dict[str, Any], **path: Any) -> Response:
            found = start(args, path)
            return _streamed(json_chunks(found), "application/json", f"{filename}.json")

    name = filename.replace("-", "_")
    Csv.__name__, Json.__name__ = f"{name}_csv", f"{name}_json"
    blp.add_url_rule(rule + ".csv", view_func=Csv, endpoint=f"{name}_csv")
    blp.add_url_rule(rule + ".json", view_func=Json, endpoint=f"{name}_json")


def _milestones(scope: Callable[..., Scope]) -> Rows:
    return lambda found, args, path: found.milestones(scope(**path), args.get("subset"))


def _programme(programme_id: Any) -> Scope:
    return Scope("programme", str(programme_id))


def _initiative(initiative_id: Any) -> Scope:
    return Scope("initiative", str(initiative_id))


def _agency(agency: str) -> Scope:
    return Scope("agency", agency)


# kind: (where its milestone table hangs, its calendar, its scope from the path)
SCOPES: dict[str, tuple[str, str, Callable[..., Scope]]] = {
    "all": ("/dashboard", "/calendar.ics", lambda: Scope("all")),
    "programme": (
        "/programmes/<uuid:programme_id>/dashboard",
        "/programmes/<uuid:programme_id>/calendar.ics",
        _programme,
    ),
    "initiative": (
        "/initiatives/<uuid:initiative_id>/dashboard",
        "/initiatives/<uuid:initiative_id>/calendar.ics",
        _initiative,
    ),
    "agency": (
        "/agencies/<string:agency>/scorecard",
        "/agencies/<string:agency>/calendar.ics",
        _agency,
    ),
}

_table(
    "/dashboard/programmes",
    "programmes",
    ProgrammeRowDownload,
    TableArgs,
    "Every programme: RAG, % complete, counts",
    None,
    lambda found, args, path: found.programmes(),
)
_table(
    "/programmes/<uuid:programme_id>/dashboard/initiatives",
    "programme-initiatives",
    InitiativeRowDownload,
    TableArgs,
    "A programme's initiatives: RAG, % complete, counts",
    _programme,
    lambda found, args, path: found.initiatives(str(path["programme_id"])),
)


def _calendar_name(found: OpenData, scope: Scope) -> str:
    if scope.kind == "programme":
        programme = found.live.programme(scope.key)
        return programme.title if programme else scope.key
    if scope.kind == "initiative":
        initiative = found.live.initiative(scope.key)
        return initiative.title if initiative else scope.key
    return scope.key if scope.kind == "agency" else "Reform Tracker"


def _calendar(endpoint: str, rule: str, scope: Callable[..., Scope]) -> None:
    class Feed(MethodView):
        @blp.arguments(TableArgs(), location="query", unknown=RAISE)
        @blp.response(200, content_type="text/calendar")
        @blp.doc(
            summary="Milestone due dates as a calendar to subscribe to",
            **_text_answer(
                "text/calendar",
                "iCalendar (RFC 5545): one all-day VEVENT per milestone on its current due "
                "date, a stable UID, SEQUENCE counting reschedules",
            ),
        )
        def get(self, _args: dict[str, Any], **path: Any) -> Response:
            found = open_data()
            chosen = scope(**path)
            found.check(chosen)
            name = f"{_calendar_name(found, chosen)}: milestone due dates"
            chunks = calendar.feed(
                name,
                "Due dates of the milestones tracked by Reform Tracker; they move when a "
                "milestone is rescheduled.",
                found.records(chosen),
                services().config.base_url,
                services().clock.now(),
            )
            return _streamed(chunks, "text/calendar", f"{endpoint.replace('_', '-')}.ics")

    Feed.__name__ = endpoint
    blp.add_url_rule(rule, view_func=Feed, endpoint=endpoint)


for _kind, (_base, _feed, _scope) in SCOPES.items():
    _prefix = "" if _kind == "all" else f"{_kind}-"
    _table(
        f"{_base}/milestones",
        f"{_prefix}milestones",
        MilestoneRowDownload,
        MilestoneTableArgs,
        "Milestones with due dates, slip, overdue and RAG",
        _scope,
        _milestones(_scope),
    )
    _calendar(f"{_prefix.replace('-', '_')}calendar", _feed, _scope)
