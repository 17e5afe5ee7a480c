"""Programmes, initiatives and milestones: creation input and current-state output."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import AGENCY_NAME, NOT_BLANK, Text

TITLE = [validate.Length(min=1, max=200), NOT_BLANK]
TEXT = validate.Length(max=2000)


class RecordMeta(Schema):
    version = fields.Integer(metadata={"description": "Stream version; also the ETag"})
    created_at = fields.String()
    updated_at = fields.String()


class ProgrammeIn(Schema):
    title = Text(required=True, validate=TITLE)
    description = Text(multiline=True, load_default="", validate=TEXT)
    lead_agency = Text(required=True, validate=AGENCY_NAME)


class ProgrammeOut(RecordMeta):
    programme_id = fields.String()
    title = fields.String()
    description = fields.String()
    lead_agency = fields.String()


class InitiativeIn(Schema):
    title = Text(required=True, validate=TITLE)
    description = Text(multiline=True, load_default="", validate=TEXT)
    owner_agency = Text(required=True, validate=AGENCY_NAME)
    lead = Text(load_default="", validate=validate.Length(max=200))


class InitiativeOut(RecordMeta):
    initiative_id = fields.String()
    programme_id = fields.String()
    title = fields.String()
    description = fields.String()
    owner_agency = fields.String()
    lead = fields.String()


class MilestoneIn(Schema):
    title = Text(required=True, validate=TITLE)
    description = Text(multiline=True, load_default="", validate=TEXT)
    planned_start = fields.Date(required=True)
    due_date = fields.Date(required=True)
    owner_agency = Text(
        load_default=None,
        validate=AGENCY_NAME,
        metadata={
            "description": "Defaults to the initiative's owner agency; only an overseer may "
            "name another agency"
        },
    )


class MilestoneOut(RecordMeta):
    milestone_id = fields.String()
    initiative_id = fields.String()
    programme_id = fields.String()
    title = fields.String()
    description = fields.String()
    owner_agency = fields.String()
    status = fields.String()
    progress = fields.Integer()
    planned_start = fields.Date()
    planned_due_date = fields.Date()
    due_date = fields.Date()
    slip_days = fields.Integer()
    replan_count = fields.Integer()
    evidence_count = fields.Integer()
    comment_count = fields.Integer()
    blocked_reason = fields.String(allow_none=True)
    dispute_reason = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    overdue = fields.Boolean(metadata={"description": "Derived: due date passed, not final"})
    days_overdue = fields.Integer()
