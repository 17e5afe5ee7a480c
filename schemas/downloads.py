"""Open-data downloads: the query arguments and the documented shape of a JSON row.

The row schemas are built from the column lists of service/dashboards/open_data.py, so
the document cannot drift from what is served; a CSV has the same columns in the same
order, with lists joined by "; " and empty cells for null.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import Text
from service.dashboards.open_data import (
    DUE_SOON,
    INITIATIVE_COLUMNS,
    MILESTONE_COLUMNS,
    OVERDUE,
    PROGRAMME_COLUMNS,
)

INTEGER = ("progress", "slip_days", "replan_count", "days_overdue", "days_until_due")
BOOLEAN = ("overdue", "due_soon")


def _field(column: str) -> fields.Field:
    if column == "rag_reasons":
        return fields.List(fields.String(), metadata={"description": "Why it has this colour"})
    if column == "rag":
        return fields.String(metadata={"description": "red, amber or green"})
    if column == "rag_more_reasons":
        return fields.Integer(
            metadata={
                "description": "Reasons left out of rag_reasons, which lists at most "
                "RT_SUMMARY_ROWS (0: none left out); the milestone table has every one"
            }
        )
    if column == "percent_complete":
        return fields.Float(allow_none=True)
    if column in INTEGER or column.endswith("_count"):
        return fields.Integer()
    if column in BOOLEAN:
        return fields.Boolean()
    return fields.String(allow_none=True)


def _row(name: str, columns: tuple[str, ...]) -> type[Schema]:
    return Schema.from_dict({column: _field(column) for column in columns}, name=name)


MilestoneRowDownload = _row("MilestoneRowDownload", MILESTONE_COLUMNS)
ProgrammeRowDownload = _row("ProgrammeRowDownload", PROGRAMME_COLUMNS)
InitiativeRowDownload = _row("InitiativeRowDownload", INITIATIVE_COLUMNS)


class TableArgs(Schema):
    pass


class MilestoneTableArgs(Schema):
    subset = Text(
        data_key="only",  # "only" itself is a Schema attribute
        validate=validate.OneOf((OVERDUE, DUE_SOON)),
        metadata={"description": "Only the overdue, or only the due-soon, milestones"},
    )
