"""Schemas shared by every resource: problems, events, pagination, and the fields that
hold every input text to the same rules: no control characters (``Text``), booleans that
are JSON booleans (``StrictBoolean``), agency names that can stand in a URL path.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from apispec.ext.marshmallow import OpenAPIConverter
from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate

# The Flask config key holding the deployment's largest page (Config.page_size_max).
PAGE_SIZE_MAX = "PAGE_SIZE_MAX"

# Text the service trims (str.strip) and then requires: at least one character that is
# not whitespace. The whitespace is spelled out, exactly str.isspace()'s set, because
# `\s` means a smaller set in the regexes of OpenAPI (ECMA-262) than in Python's. It is
# the field's `pattern` in the OpenAPI document, so the document never calls a blank valid.
PYTHON_WHITESPACE = r"\t-\r\x1c- \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = validate.Regexp(rf"[\s\S]*[^{PYTHON_WHITESPACE}]", error="must not be blank")


# Every control character (Unicode category Cc: C0, DEL and C1) is refused in every
# text, so NULs, escapes and the like never reach the log, the HTML pages, the CSV exports
# or an e-mail; a multi-line text (a description, a note, a reason, a comment) keeps tab,
# line feed and carriage return. As regex classes, for the OpenAPI document.
CONTROLS = r"\x00-\x1f\x7f-\x9f"
CONTROLS_BUT_LINE_BREAKS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"


class NoControlCharacters(validate.Validator):
    def __init__(self, *, multiline: bool) -> None:
        self.refused = CONTROLS_BUT_LINE_BREAKS if multiline else CONTROLS
        self.allowed = frozenset("\t\n\r" if multiline else "")

    def __call__(self, value: str) -> str:
        for char in value:
            if unicodedata.category(char) == "Cc" and char not in self.allowed:
                raise ValidationError(
                    f"must not contain control characters (found U+{ord(char):04X})"
                )
        return value


class Text(fields.String):
    """Text as people type it. ``multiline`` keeps tab and line breaks; otherwise a
    value holds no control character at all. The rule is a validator run after the
    field's own, so a blank value is also told it is blank."""

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiline = multiline
        self.validators.append(NoControlCharacters(multiline=multiline))


def document_text_rules(converter: OpenAPIConverter) -> None:
    """State in the OpenAPI document the characters a Text refuses (control characters,
    and any a ContainsNoneOf rule names), as ``not: {pattern: "[...]"}``: a pattern
    matches anywhere in a value, so the rule reads the same in every regex dialect."""

    def refused_characters(
        _converter: OpenAPIConverter, field: fields.Field, **_kwargs: Any
    ) -> dict[str, Any]:
        if not isinstance(field, Text):
            return {}
        refused = "".join(
            rule.refused
            if isinstance(rule, NoControlCharacters)
            else "".join(f"\\u{ord(char):04x}" for char in rule.iterable)
            for rule in field.validators
            if isinstance(rule, NoControlCharacters | validate.ContainsNoneOf)
        )
        return {"not": {"pattern": f"[{refused}]"}}

    converter.add_attribute_function(refused_characters)


class StrictBoolean(fields.Boolean):
    """true or false, as JSON says them: not 0, 1, "yes" or "true"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


# Agencies are addressed by name in URL paths (/agencies/{agency}/scorecard and its page),
# and a "/" can never be addressed there, even percent-encoded: refused, like blanks.
AGENCY_NAME = [
    validate.Length(min=1, max=100),
    NOT_BLANK,
    validate.ContainsNoneOf("/", error="must not contain '/' (agencies are addressed by name)"),
]


class PageLimit(fields.Integer):
    """?limit=: from 1 up to the largest page the deployment allows (RT_PAGE_SIZE_MAX).

    The argument schemas are built once, when the routes are declared, but the largest page
    is configuration; so the bound is read from the Flask app serving the request, and
    ``document_page_limits`` writes the same bound into that app's OpenAPI document.
    ``cap`` keeps a page of heavier items smaller whatever the configuration says.
    """

    def __init__(self, *, load_default: int, cap: int | None = None) -> None:
        super().__init__(load_default=load_default)
        self.cap = cap

    def largest(self, page_size_max: int) -> int:
        return page_size_max if self.cap is None else min(self.cap, page_size_max)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        number = super()._deserialize(value, attr, data, **kwargs)
        validate.Range(min=1, max=self.largest(current_app.config[PAGE_SIZE_MAX]))(number)
        return number


def document_page_limits(converter: OpenAPIConverter, page_size_max: int) -> None:
    """State every PageLimit's bounds as this deployment enforces them."""

    def page_limit_range(
        _converter: OpenAPIConverter, field: fields.Field, **_kwargs: Any
    ) -> dict[str, int]:
        if not isinstance(field, PageLimit):
            return {}
        return {"minimum": 1, "maximum": field.largest(page_size_max)}

    converter.add_attribute_function(page_limit_range)


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(metadata={"description": "URI identifying the kind of problem"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    code = fields.String(metadata={"description": "Machine-readable reason"})
    request_id = fields.String()
    errors = fields.Dict(metadata={"description": "Field errors for 422 responses"})


class ActorSchema(Schema):
    token_id = fields.String()
    role = fields.String()
    agency = fields.String(allow_none=True)


class EventSchema(Schema):
    id = fields.String()
    stream = fields.String()
    version = fields.Integer()
    position = fields.Integer(
        metadata={"description": "Place in the global log, given out when the event commits"}
    )
    type = fields.String()
    schema_version = fields.Integer()
    recorded_at = fields.String()
    actor = fields.Nested(ActorSchema)
    correlation_id = fields.String(allow_none=True)
    causation_id = fields.String(allow_none=True)
    payload = fields.Dict()
    hash = fields.String(
        metadata={
            "description": "SHA-256 of the previous event's hash in this stream and this "
            "event's canonical JSON (every field but position and the two hashes)"
        }
    )
    global_hash = fields.String(
        allow_none=True,
        metadata={
            "description": "SHA-256 of the previous global_hash and this event's hash, in "
            "position order. Null until the worker seals the event into the global chain, "
            "usually within milliseconds of the append (always null in an append's own "
            "response)"
        },
    )
    inclusion_proof = fields.Function(
        lambda event: f"/proofs/inclusion?position={event['position']}",
        dump_only=True,
        metadata={
            "description": "Where to get the proof that this event is in the log's Merkle "
            "tree (available once the worker has sealed it; see docs/audit.md)"
        },
    )


class EventPageSchema(Schema):
    events = fields.List(fields.Nested(EventSchema))
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "Pass as ?after= to get the next page; null at the end"},
    )


class LogPageArgs(Schema):
    after = fields.Integer(
        load_default=0,
        # Stream entry IDs are 64-bit; 2**53 keeps cursors exact in every JSON client.
        validate=validate.Range(min=0, max=2**53),
        metadata={
            "description": "Cursor: return events after this position (version for a stream)"
        },
    )
    limit = PageLimit(load_default=100)


class VerifyReportSchema(Schema):
    ok = fields.Boolean()
    events_checked = fields.Integer()
    head_position = fields.Integer(metadata={"description": "Last position in the log"})
    head_hash = fields.String(
        metadata={"description": "The global chain's hash at sealed_position"}
    )
    sealed_position = fields.Integer(
        metadata={
            "description": "Last position sealed into the global chain; later events are "
            "checked against their stream chains only, until the worker seals them"
        }
    )
    first_bad_position = fields.Integer(allow_none=True)
    stream = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
