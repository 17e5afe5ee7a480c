"""Signed checkpoints (C2SP tlog-checkpoint) as JSON, for paging the history."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import PageLimit


class CheckpointOut(Schema):
    size = fields.Integer(metadata={"description": "Tree size the checkpoint commits to"})
    root = fields.String(metadata={"description": "Root hash, standard base64"})
    issued_at = fields.String(metadata={"description": "When the log signed it"})
    note = fields.String(metadata={"description": "The signed note, byte for byte"})


class CheckpointPage(Schema):
    checkpoints = fields.List(fields.Nested(CheckpointOut))
    next_cursor = fields.String(allow_none=True)


class CheckpointQuery(Schema):
    before = fields.Integer(
        validate=validate.Range(min=1, max=2**53),
        metadata={"description": "Cursor: checkpoints of smaller sizes than this"},
    )
    limit = PageLimit(load_default=50)
