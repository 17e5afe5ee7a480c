"""Bulk reports: what POST /imports answers, and the problem that refuses a report."""

from __future__ import annotations

from marshmallow import Schema, fields

from schemas.common import ProblemSchema


class ImportArgs(Schema):
    dry_run = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Only check the report: answer with the per-row report and "
            "append nothing."
        },
    )


class ImportedMilestone(Schema):
    milestone_id = fields.String()
    rows = fields.List(fields.Integer(), metadata={"description": "The report's rows for it"})
    first_version = fields.Integer(metadata={"description": "Version of its first new event"})
    last_version = fields.Integer(metadata={"description": "Its version after the report"})
    events = fields.Integer()


class CheckedRow(Schema):
    row = fields.Integer(metadata={"description": "Row number (the header is row 1)"})
    milestone_id = fields.String()
    milestone = fields.String(metadata={"description": "The milestone's title"})
    command = fields.String()
    status = fields.String(metadata={"description": "The milestone's status after the row"})
    progress = fields.Integer(metadata={"description": "Its progress after the row"})


class ImportResult(Schema):
    dry_run = fields.Boolean()
    rows = fields.Integer(metadata={"description": "Rows with a command"})
    events = fields.Integer(metadata={"description": "Events appended (or to be appended)"})
    milestones = fields.List(
        fields.Nested(ImportedMilestone),
        metadata={"description": "What was appended to each milestone (empty for a dry run)"},
    )
    report = fields.List(
        fields.Nested(CheckedRow),
        metadata={"description": "Each row as decided (a dry run only)"},
    )


class RowProblem(Schema):
    row = fields.Integer(
        metadata={
            "description": "Row number: the header is row 1; in a JSON array, the "
            "first object is row 1; 0 for the file as a whole"
        }
    )
    column = fields.String(metadata={"description": "Column name (or letter) at fault"})
    problem = fields.String()


class ReportProblem(ProblemSchema):
    """A refused report: nothing was appended."""

    errors = fields.List(fields.Nested(RowProblem))  # type: ignore[assignment]
