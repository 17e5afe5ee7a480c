"""Input rules every request schema shares: no control characters in any text (line
breaks and tabs only where a text may span lines), booleans that are JSON booleans, agency
names that a URL path can hold, and an OpenAPI document that states formats JSON Schema
knows. A refused body is a 422 naming the field, and appends nothing."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from marshmallow import Schema, fields

from schemas.common import Text
from service.bootstrap import Services
from tests.alerting import project_read_models
from tests.conftest import bearer
from tests.integration.api_helpers import Seed, log_length, post, seed

EVIDENCE = {
    "uri": "https://evidence.example/a.pdf",
    "sha256": "a" * 64,
    "media_type": "application/pdf",
    "captured_at": "2026-01-01T00:00:00Z",
}
MILESTONE = {"title": "T", "planned_start": "2026-02-01", "due_date": "2026-12-01"}
# (path template, who posts, valid body, a text field of it, may it span lines)
TEXTS: list[tuple[str, str, dict[str, Any], str, bool]] = [
    ("/programmes", "overseer", {"title": "T", "lead_agency": "A"}, "title", False),
    ("/programmes", "overseer", {"title": "T", "lead_agency": "A"}, "lead_agency", False),
    ("/programmes", "overseer", {"title": "T", "lead_agency": "A"}, "description", True),
    ("/programmes/{p}/initiatives", "overseer", {"title": "T", "owner_agency": "A"}, "lead", False),
    ("/initiatives/{i}/milestones", "reporter_a", MILESTONE, "title", False),
    ("/initiatives/{i}/milestones", "reporter_a", MILESTONE, "description", True),
    ("/milestones/{m}/start", "reporter_a", {}, "note", True),
    ("/milestones/{m}/attach-evidence", "reporter_a", EVIDENCE, "media_type", False),
    ("/milestones/{m}/attach-evidence", "reporter_a", EVIDENCE, "description", True),
    ("/milestones/{m}/comment", "reporter_a", {"text": "t"}, "text", True),
    ("/tokens", "admin", {"role": "viewer"}, "label", False),
    (
        "/subscriptions",
        "admin",
        {"channel": "email", "address": "desk@example.org"},
        "description",
        True,
    ),
]


def url_of(path: str, s: Seed) -> str:
    return path.format(p=s.programme_id, i=s.initiative_id, m=s.milestone_id)


@pytest.mark.parametrize("control", ["\x00", "\x1b[31m", "\x7f", "\x85", "\x0b"])
@pytest.mark.parametrize(
    ("path", "who", "body", "field", "multiline"),
    TEXTS,
    ids=[f"{t[0]}.{t[3]}" for t in TEXTS],
)
def test_a_control_character_in_any_text_is_refused_naming_the_field(
    client: FlaskClient,
    tokens: dict[str, str],
    path: str,
    who: str,
    body: dict[str, Any],
    field: str,
    multiline: bool,
    control: str,
) -> None:
    s = seed(client, tokens)
    before = log_length(client, tokens["viewer"])
    refused = post(client, tokens[who], url_of(path, s), {**body, field: f"a{control}b"})
    assert refused.status_code == 422, refused.json
    assert refused.content_type == "application/problem+json"
    assert "control characters" in str(refused.json["errors"][field]), refused.json
    assert log_length(client, tokens["viewer"]) == before


@pytest.mark.parametrize(
    ("path", "who", "body", "field", "multiline"),
    TEXTS,
    ids=[f"{t[0]}.{t[3]}" for t in TEXTS],
)
def test_line_breaks_and_tabs_pass_only_in_texts_that_span_lines(
    client: FlaskClient,
    tokens: dict[str, str],
    path: str,
    who: str,
    body: dict[str, Any],
    field: str,
    multiline: bool,
) -> None:
    s = seed(client, tokens)
    answer = post(client, tokens[who], url_of(path, s), {**body, field: "one\r\ntwo\tthree"})
    if multiline:
        assert answer.status_code in (200, 201), answer.json
    else:
        assert answer.status_code == 422, answer.json
        assert field in answer.json["errors"]


def argument_schemas(app: Flask) -> Iterator[tuple[str, Schema]]:
    for endpoint, view in app.view_functions.items():
        for method in ("get", "post", "put", "patch", "delete"):
            handler = getattr(getattr(view, "view_class", None), method, view)
            apidoc = getattr(handler, "_apidoc", {})
            for parameter in apidoc.get("arguments", {}).get("parameters", []):
                yield f"{endpoint}.{method}", parameter["schema"]


def string_fields(schema: Schema) -> Iterator[tuple[str, fields.Field]]:
    for name, field in schema.fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            yield from string_fields(inner.schema)
        elif isinstance(inner, fields.String) and not isinstance(inner, fields.Email | fields.Url):
            # Email and Url refuse control characters by their own syntax.
            yield name, inner


def test_every_text_a_request_carries_refuses_control_characters(app: Flask) -> None:
    seen = 0
    for where, schema in argument_schemas(app):
        for name, field in string_fields(schema):
            seen += 1
            assert isinstance(field, Text), f"{where}: {type(schema).__name__}.{name}"
    assert seen > 20  # the walk found the request schemas


@pytest.mark.parametrize("digest", [0, 1, "true", "yes", None])
def test_digest_is_a_json_boolean(
    client: FlaskClient, tokens: dict[str, str], digest: object
) -> None:
    body = {"channel": "email", "address": "desk@example.org", "digest": digest}
    refused = post(client, tokens["admin"], "/subscriptions", body)
    assert refused.status_code == 422, refused.json
    assert "digest" in refused.json["errors"]
    accepted = post(client, tokens["admin"], "/subscriptions", {**body, "digest": True})
    assert accepted.status_code == 201 and accepted.json["digest"] is True


def formats(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("format"), str):
            yield node["format"]
        for value in node.values():
            yield from formats(value)
    elif isinstance(node, list):
        for value in node:
            yield from formats(value)


def test_the_openapi_document_uses_standard_formats_and_refuses_an_empty_url(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    document = client.get("/openapi.json").json
    url = document["components"]["schemas"]["SubscriptionIn"]["properties"]["url"]
    assert (url["format"], url["minLength"]) == ("uri", 1)
    # JSON Schema 2020-12 and OpenAPI 3.1's registry; "url" is neither.
    known = {"date", "date-time", "time", "duration", "email", "uri", "uuid", "int32", "int64"}
    known |= {"float", "double", "password", "hostname", "ipv4", "ipv6", "uri-reference"}
    assert set(formats(document)) <= known
    empty = post(client, tokens["admin"], "/subscriptions", {"channel": "webhook", "url": ""})
    assert empty.status_code == 422 and "url" in empty.json["errors"]


@pytest.mark.parametrize(
    ("path", "who", "body", "field"),
    [
        ("/programmes", "overseer", {"title": "T"}, "lead_agency"),
        ("/programmes/{p}/initiatives", "overseer", {"title": "T"}, "owner_agency"),
        ("/initiatives/{i}/milestones", "overseer", MILESTONE, "owner_agency"),
        ("/tokens", "admin", {"role": "reporter"}, "agency"),
        ("/subscriptions", "admin", {"channel": "email", "address": "d@example.org"}, "agency"),
    ],
)
def test_an_agency_name_with_a_slash_is_refused(
    client: FlaskClient,
    tokens: dict[str, str],
    path: str,
    who: str,
    body: dict[str, Any],
    field: str,
) -> None:
    s = seed(client, tokens)
    before = log_length(client, tokens["viewer"])
    refused = post(client, tokens[who], url_of(path, s), {**body, field: "Ministry of A/B"})
    assert refused.status_code == 422, refused.json
    assert "'/'" in str(refused.json["errors"][field])
    assert log_length(client, tokens["viewer"]) == before


def test_every_agency_name_accepted_can_be_addressed(
    client: FlaskClient, tokens: dict[str, str], services: Services
) -> None:
    s = seed(client, tokens)
    agency = "Ministry of Defence (MoD) #1?"
    planned = post(
        client,
        tokens["overseer"],
        f"/initiatives/{s.initiative_id}/milestones",
        {**MILESTONE, "owner_agency": agency},
    )
    assert planned.status_code == 201, planned.json
    project_read_models(services)
    quoted = "Ministry%20of%20Defence%20(MoD)%20%231%3F"
    scorecard = client.get(f"/agencies/{quoted}/scorecard", headers=bearer(tokens["viewer"]))
    assert scorecard.status_code == 200, scorecard.json
    assert client.get(f"/agencies/{uuid.uuid4()}/scorecard").status_code == 401


@pytest.mark.parametrize(
    ("schema", "field", "also_allowed", "also_refused"),
    [
        ("ProgrammeIn", "title", "", ""),
        ("ProgrammeIn", "description", "\t\n\r", ""),
        ("ProgrammeIn", "lead_agency", "", "/"),
        ("CommentIn", "text", "\t\n\r", ""),
    ],
)
def test_the_openapi_document_refuses_the_characters_the_service_refuses(
    client: FlaskClient, schema: str, field: str, also_allowed: str, also_refused: str
) -> None:
    document = client.get("/openapi.json").json
    refused = re.compile(
        document["components"]["schemas"][schema]["properties"][field]["not"]["pattern"]
    )
    for code in range(0x2100):
        char = chr(code)
        expected = (unicodedata.category(char) == "Cc" and char not in also_allowed) or (
            char in also_refused
        )
        assert bool(refused.search(f"a{char}b")) == expected, hex(code)
