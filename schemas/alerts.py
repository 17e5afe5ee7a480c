"""Alerts as the feed shows them, and the acknowledgement command."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import NOT_BLANK, ActorSchema, PageLimit, Text
from service.alerts.domain.alerts import LEVELS, MAX_NOTE, SEVERITIES, STATES


class AlertOut(Schema):
    id = fields.String(attribute="alert_id")
    milestone_id = fields.String()
    milestone_title = fields.String()
    initiative_id = fields.String()
    programme_id = fields.String()
    owner_agency = fields.String()
    condition = fields.String(metadata={"description": "overdue, or due_in_<lead days>"})
    severity = fields.String(metadata={"enum": list(SEVERITIES)})
    state = fields.String(metadata={"enum": list(STATES)})
    level = fields.String(
        metadata={"enum": list(LEVELS), "description": "Who has been told, in escalation order"}
    )
    due_date = fields.String()
    days_overdue = fields.Integer()
    raised_at = fields.String()
    last_notified_at = fields.String()
    escalations = fields.Integer()
    renotifications = fields.Integer()
    acknowledged_note = fields.String(allow_none=True)
    acknowledged_by = fields.Nested(ActorSchema, allow_none=True)
    resolved_cause = fields.String(
        allow_none=True,
        metadata={"description": "verified, cancelled, rescheduled or superseded"},
    )
    resolved_detail = fields.String(allow_none=True)
    version = fields.Integer(metadata={"description": "Version of the alert's event stream"})
    updated_at = fields.String()


class AlertPage(Schema):
    alerts = fields.List(fields.Nested(AlertOut))
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "Pass as ?before= for the next (older) page; null at the end"},
    )


class AlertQuery(Schema):
    state = Text(validate=validate.OneOf(STATES))
    severity = Text(validate=validate.OneOf(SEVERITIES))
    programme = fields.UUID(metadata={"description": "Programme id"})
    agency = Text(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Owner agency of the milestone"},
    )
    before = fields.Integer(
        validate=validate.Range(min=1), metadata={"description": "Cursor from next_cursor"}
    )
    limit = PageLimit(load_default=50)


class AcknowledgeIn(Schema):
    note = Text(
        multiline=True,
        required=True,
        validate=[validate.Length(min=1, max=MAX_NOTE), NOT_BLANK],
        metadata={"description": "What is being done about it"},
    )
