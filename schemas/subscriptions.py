"""Alert subscriptions and their delivery log, as the admin API shows them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.common import AGENCY_NAME, PageLimit, StrictBoolean, Text
from service.alerts.domain.alerts import LEVELS, SEVERITIES
from service.alerts.subscriptions import EMAIL, WEBHOOK
from service.runtime.languages import DEFAULT as DEFAULT_LANGUAGE
from service.runtime.languages import LANGUAGES


def _when(channel: str, then: dict[str, Any]) -> dict[str, Any]:
    return {
        "if": {"properties": {"channel": {"const": channel}}, "required": ["channel"]},
        "then": then,
    }


class SubscriptionIn(Schema):
    # The rules of channel_target, for the OpenAPI document (JSON Schema 2020-12).
    json_schema_rules = {
        "allOf": [
            _when(
                WEBHOOK,
                {
                    "required": ["url"],
                    "properties": {"digest": {"const": False}},
                    "not": {"required": ["address"]},
                },
            ),
            _when(EMAIL, {"required": ["address"], "not": {"required": ["url"]}}),
        ]
    }
    channel = Text(required=True, validate=validate.OneOf((WEBHOOK, EMAIL)))
    url = fields.Url(
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(min=1, max=2048),
        # An absolute http(s) URL: JSON Schema's "uri" ("url" is no format of it).
        metadata={"description": "Webhook target (channel webhook)", "format": "uri"},
    )
    address = fields.Email(metadata={"description": "Recipient (channel email)"})
    digest = StrictBoolean(
        load_default=False, metadata={"description": "E-mail only: one message a day"}
    )
    programme_id = fields.UUID(load_default=None)
    initiative_id = fields.UUID(load_default=None)
    agency = Text(load_default=None, validate=AGENCY_NAME)
    severities = fields.List(
        Text(validate=validate.OneOf(SEVERITIES)),
        load_default=list,
        metadata={"description": "Empty: all"},
    )
    audience = Text(
        load_default=LEVELS[0],
        validate=validate.OneOf(LEVELS),
        metadata={"description": "Told once an alert has escalated to this level"},
    )
    description = Text(multiline=True, load_default="", validate=validate.Length(max=500))
    language = Text(
        load_default=DEFAULT_LANGUAGE,
        validate=validate.OneOf(LANGUAGES),
        metadata={
            "description": "The language of the subscription's e-mails: kk (Kazakh), "
            "ru (Russian) or en (English). Webhook bodies are JSON and not translated."
        },
    )

    @validates_schema
    def channel_target(self, data: dict[str, Any], **_kwargs: object) -> None:
        if data.get("channel") == WEBHOOK:
            if not data.get("url"):
                raise ValidationError("a webhook subscription needs a url", "url")
            if data.get("address") or data.get("digest"):
                raise ValidationError("address and digest are for e-mail", "address")
        if data.get("channel") == EMAIL:
            if not data.get("address"):
                raise ValidationError("an e-mail subscription needs an address", "address")
            if data.get("url"):
                raise ValidationError("url is for webhooks", "url")


class SubscriptionOut(Schema):
    id = fields.String()
    channel = fields.String()
    url = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    digest = StrictBoolean()
    programme_id = fields.String(allow_none=True)
    initiative_id = fields.String(allow_none=True)
    agency = fields.String(allow_none=True)
    severities = fields.List(fields.String())
    audience = fields.String()
    description = fields.String()
    language = fields.String()
    created_at = fields.String()
    disabled = fields.Boolean()
    disabled_reason = fields.String(allow_none=True)
    previous_secret_until = fields.String(
        allow_none=True,
        metadata={
            "description": "Webhook only: after a rotation, until when the previous secret "
            "still signs beside the current one"
        },
    )


class SubscriptionCreated(SubscriptionOut):
    secret = fields.String(
        allow_none=True,
        metadata={"description": "Webhook signing secret (whsec_...); shown only now"},
    )


class SecretRotationIn(Schema):
    grace_seconds = fields.Integer(
        validate=validate.Range(min=0, max=30 * 24 * 3600),
        metadata={
            "description": "How long the previous secret still signs (seconds, at most 30 "
            "days); 0 revokes it at once. Default: RT_WEBHOOK_SECRET_GRACE_SECONDS"
        },
    )


class SecretRotated(SubscriptionOut):
    secret = fields.String(
        metadata={"description": "The new signing secret (whsec_...); shown only now"}
    )


class AttemptOut(Schema):
    attempt = fields.Integer()
    at = fields.String()
    result = fields.String(
        metadata={"description": "delivered, retry, failed, gone, interrupted or skipped"}
    )
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Float()


class DeliveryOut(Schema):
    id = fields.String()
    subscription_id = fields.String()
    channel = fields.String()
    kind = fields.String()
    events = fields.List(fields.Dict())
    status = fields.String()
    attempts = fields.Integer()
    created_at = fields.String()
    updated_at = fields.String()
    last_error = fields.String(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    attempt_log = fields.List(fields.Nested(AttemptOut), data_key="attempt_log")


class DeliveryPage(Schema):
    deliveries = fields.List(fields.Nested(DeliveryOut))
    next_cursor = fields.String(allow_none=True)


class DeliveryQuery(Schema):
    before = fields.Integer(validate=validate.Range(min=1))
    # Deliveries carry their attempt logs: a page of them stays small.
    limit = PageLimit(load_default=50, cap=200)
