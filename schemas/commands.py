"""Bodies of the commands posted to a milestone, one schema per verb."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.aggregates import MilestoneOut
from schemas.common import NOT_BLANK, EventSchema, Text

TEXT = validate.Length(max=2000)
REASON = [validate.Length(min=1, max=2000), NOT_BLANK]


class WholeNumber(fields.Integer):
    """An integer as JSON Schema means it: 40 and 40.0 pass; "40", true and 40.5 do not."""

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return int(value)


class NoteIn(Schema):
    note = Text(multiline=True, load_default="", validate=TEXT)


class ProgressIn(Schema):
    percent = WholeNumber(required=True, validate=validate.Range(min=0, max=100))
    note = Text(multiline=True, load_default="", validate=TEXT)


class RescheduleIn(Schema):
    new_due_date = fields.Date(required=True)
    reason = Text(multiline=True, required=True, validate=REASON)


class ReasonIn(Schema):
    reason = Text(multiline=True, required=True, validate=REASON)


class EvidenceIn(Schema):
    uri = Text(required=True, validate=[validate.Length(min=1, max=2048), NOT_BLANK])
    sha256 = Text(
        required=True,
        validate=validate.Regexp(r"^[0-9a-fA-F]{64}$", error="must be 64 hexadecimal characters"),
    )
    media_type = Text(required=True, validate=[validate.Length(min=1, max=255), NOT_BLANK])
    captured_at = fields.AwareDateTime(required=True, format="iso")
    description = Text(multiline=True, load_default="", validate=TEXT)


class CommentIn(Schema):
    text = Text(
        multiline=True, required=True, validate=[validate.Length(min=1, max=2000), NOT_BLANK]
    )


class CommandResult(Schema):
    milestone = fields.Nested(MilestoneOut)
    events = fields.List(fields.Nested(EventSchema), metadata={"description": "Events appended"})


# verb -> (body schema, summary for the OpenAPI document)
COMMAND_BODIES: dict[str, tuple[type[Schema], str]] = {
    "start": (NoteIn, "Start work on a planned milestone"),
    "report-progress": (ProgressIn, "Report progress (0-100 %)"),
    "reschedule": (RescheduleIn, "Move the due date; a reason is required, slip days derived"),
    "block": (ReasonIn, "Mark an in-progress milestone blocked"),
    "unblock": (NoteIn, "Resume a blocked milestone"),
    "attach-evidence": (EvidenceIn, "Attach evidence: URI, SHA-256 of the file, media type"),
    "report-complete": (NoteIn, "Report the milestone complete (awaits verification)"),
    "verify": (NoteIn, "Overseer confirms a reported completion"),
    "dispute": (ReasonIn, "Overseer disputes a reported completion; reason required"),
    "cancel": (ReasonIn, "Cancel the milestone; reason required"),
    "comment": (CommentIn, "Add a comment"),
}
