"""Bearer tokens as the admin API shows them."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.common import AGENCY_NAME, Text
from service.access.policy import ROLES


class TokenIn(Schema):
    # The same rule as reporter_needs_agency, for the OpenAPI document (JSON Schema 2020-12).
    json_schema_rules = {
        "if": {"properties": {"role": {"const": "reporter"}}, "required": ["role"]},
        "then": {"required": ["agency"], "properties": {"agency": {"type": "string"}}},
    }
    role = Text(required=True, validate=validate.OneOf(ROLES))
    agency = Text(load_default=None, validate=AGENCY_NAME)
    label = Text(load_default="", validate=validate.Length(max=200))

    @validates_schema
    def reporter_needs_agency(self, data: dict[str, object], **_kwargs: object) -> None:
        if data.get("role") == "reporter" and not data.get("agency"):
            raise ValidationError("a reporter token must be scoped to an agency", "agency")


class TokenOut(Schema):
    id = fields.String()
    role = fields.String()
    agency = fields.String(allow_none=True)
    label = fields.String()
    created_at = fields.String()


class TokenCreated(TokenOut):
    token = fields.String(metadata={"description": "Shown once; only its SHA-256 is stored"})
