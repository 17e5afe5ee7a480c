"""Bulk reports: POST /imports, and the report template of an agency.

A report arrives as the request body (Content-Type .xlsx, text/csv or application/json)
or as the field ``file`` of a multipart form, whose file name's extension says which.
The adapter only reads the file into a table and hands it to the Importer; the answer
is what the Importer appended, or a problem naming every row at fault.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from schemas.imports import ImportArgs, ImportResult, ReportProblem
from service.access.policy import READ
from service.api.auth import current_token, require, services
from service.api.http import correlation_id, idempotency
from service.tracking import spreadsheets
from service.tracking.imports import Part, ReportOutcome
from service.tracking.spreadsheets import CSV, JSON, XLSX

MULTIPART = "multipart/form-data"
PROBLEM_JSON = "application/problem+json"
# What a report's body may be sent as (checked, like every body, before the view runs).
MEDIA_TYPES = (*spreadsheets.MEDIA_TYPES, MULTIPART)
EXTENSIONS = {".xlsx": XLSX, ".csv": CSV, ".json": JSON}
WRONG_TYPE = (
    "Send the report as an .xlsx workbook, a .csv file (UTF-8) or a JSON array of rows: as "
    f"the body with Content-Type {XLSX}, {CSV} or {JSON}, or as the field 'file' of a "
    f"{MULTIPART} form."
)

blp = Blueprint(
    "imports",
    __name__,
    description="Bulk reports: a spreadsheet of milestone commands checked as a whole "
    "and appended all or nothing, and the report template of each agency. See docs/imports.md.",
)

WORKBOOK = {"type": "string", "contentMediaType": XLSX}
REPORT_BODY = {
    "required": True,
    "content": {
        XLSX: {"schema": WORKBOOK},
        CSV: {"schema": {"type": "string"}},
        JSON: {"schema": {"type": "array", "items": {"type": "object"}}},
        MULTIPART: {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "contentMediaType": "application/octet-stream"}
                },
                "required": ["file"],
            }
        },
    },
}


def refusal(description: str) -> dict[str, Any]:
    """An error answer of POST /imports, as the OpenAPI document states it."""
    return {"schema": ReportProblem, "content_type": PROBLEM_JSON, "description": description}


@blp.route("/imports")
class Imports(MethodView):
    @blp.arguments(ImportArgs(), location="query")
    @blp.response(200, ImportResult)
    @blp.alt_response(
        403,
        **refusal(
            "A row names a milestone of another agency, or a "
            "command the token's role may not give; `errors` "
            "names the rows. Nothing was appended."
        ),
    )
    @blp.alt_response(
        409,
        **refusal(
            "A milestone changed while the report was being "
            "appended and its rows no longer hold; `errors` names "
            "them. Nothing was appended."
        ),
    )
    @blp.alt_response(
        413,
        **refusal(
            "The file is over RT_IMPORT_MAX_BYTES, or holds more than RT_IMPORT_MAX_ROWS rows."
        ),
    )
    @blp.alt_response(415, **refusal("Not an .xlsx, .csv or JSON report."))
    @blp.alt_response(
        422,
        **refusal(
            "The file cannot be read, or rows are invalid: "
            "`errors` lists each as row, column and problem. "
            "Nothing was appended."
        ),
    )
    @blp.doc(requestBody=REPORT_BODY)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Append a bulk report: one milestone command per row

        Each row names a milestone (`milestone_id`, or `initiative` and `milestone`
        title), a `command` (start, progress, complete, reschedule, evidence, block,
        unblock, comment), its values (`percent`, `new_due_date`, `evidence_uri`,
        `evidence_sha256`, `evidence_media_type`, `evidence_captured_at`) and a `note`
        (the reason of a reschedule or block, the text of a comment). Every row is
        decided first, on the milestone as the earlier rows leave it; if any is refused,
        nothing is appended. Otherwise every row is appended in one atomic step, each
        milestone's at the version it was decided on: the whole report or nothing of it.
        A milestone changed meanwhile gets its rows decided again (409 if they no longer
        hold). One Idempotency-Key covers the whole file: a retry appends nothing twice
        and answers as the first request did."""
        token = current_token()
        data, media_type = uploaded()
        table = spreadsheets.read(data, media_type, services().config.import_max_rows)
        if args["dry_run"]:
            return checked(services().imports.check(token, table))
        outcome = services().imports.apply(
            token,
            table,
            idempotency=idempotency(token, content=data),
            correlation_id=correlation_id(),
        )
        if not outcome.replayed:
            services().appended()
        return appended(outcome)


@blp.route("/agencies/<string:agency>/report-template.xlsx")
class ReportTemplate(MethodView):
    @blp.response(200, content_type=XLSX, description="The agency's report template")
    @blp.doc(responses={"200": {"content": {XLSX: {"schema": WORKBOOK}}}})
    def get(self, agency: str) -> Response:
        """A report template pre-filled with the agency's open milestones

        One row per milestone that is not verified or cancelled, with its id, initiative,
        title, status, progress and due date; the command, percent and date columns
        carry data validation (a list of commands, 0-100, dates)."""
        require(READ)
        return template_file(agency)


def template_file(agency: str) -> Response:
    content = spreadsheets.template(services().imports.open_milestones(agency))
    response = Response(content, mimetype=XLSX)
    name = "report-template.xlsx"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def uploaded() -> tuple[bytes, str]:
    """The report's bytes and media type, from the body or a multipart form's ``file``."""
    if request.mimetype != MULTIPART:
        return request.get_data(), request.mimetype
    sent = request.files.get("file")
    if sent is None:
        raise spreadsheets.Unreadable("send the report in the form field 'file'")
    extension = os.path.splitext(sent.filename or "")[1].lower()
    media_type = EXTENSIONS.get(extension) or sent.mimetype
    if media_type not in spreadsheets.MEDIA_TYPES:
        abort(415, message=WRONG_TYPE)
    return sent.read(), media_type


def checked(parts: list[Part]) -> dict[str, Any]:
    lines = sorted(((row, part) for part in parts for row in part.rows), key=lambda x: x[0].number)
    return {
        "dry_run": True,
        "rows": len(lines),
        "events": sum(len(part.decided.events) for part in parts),
        "milestones": [],
        "report": [
            {
                "row": row.number,
                "milestone_id": part.loaded.state.milestone_id,
                "milestone": part.loaded.state.title,
                "command": row.command,
                "status": part.decided.after[row.number].status,
                "progress": part.decided.after[row.number].progress,
            }
            for row, part in lines
        ],
    }


def appended(outcome: ReportOutcome) -> dict[str, Any]:
    return {
        "dry_run": False,
        "rows": outcome.rows,
        "events": outcome.events,
        "milestones": [
            {
                "milestone_id": part.milestone_id,
                "rows": part.rows,
                "first_version": part.first_version,
                "last_version": part.last_version,
                "events": part.events,
            }
            for part in outcome.milestones
        ],
        "report": [],
    }
