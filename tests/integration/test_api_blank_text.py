"""Text the service trims and then requires is refused when blank by the request schema,
and the OpenAPI document says so (a `pattern`), so the document never calls a request
valid that the service will refuse."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from schemas.common import NOT_BLANK
from tests.conftest import bearer
from tests.integration.api_helpers import Seed, log_length, post, seed

EVIDENCE = {
    "uri": "https://evidence.example/a.pdf",
    "sha256": "a" * 64,
    "media_type": "application/pdf",
    "captured_at": "2026-01-01T00:00:00Z",
}
# (path template, schema in the OpenAPI document, valid body, the field made blank)
BLANKABLE = [
    ("/programmes", "ProgrammeIn", {"title": "T", "lead_agency": "A"}, "title"),
    ("/programmes", "ProgrammeIn", {"title": "T", "lead_agency": "A"}, "lead_agency"),
    ("/programmes/{p}/initiatives", "InitiativeIn", {"title": "T", "owner_agency": "A"}, "title"),
    (
        "/programmes/{p}/initiatives",
        "InitiativeIn",
        {"title": "T", "owner_agency": "A"},
        "owner_agency",
    ),
    (
        "/initiatives/{i}/milestones",
        "MilestoneIn",
        {"title": "T", "planned_start": "2026-02-01", "due_date": "2026-12-01"},
        "title",
    ),
    (
        "/milestones/{m}/reschedule",
        "RescheduleIn",
        {"new_due_date": "2027-01-01", "reason": "r"},
        "reason",
    ),
    ("/milestones/{m}/dispute", "ReasonIn", {"reason": "r"}, "reason"),
    ("/milestones/{m}/attach-evidence", "EvidenceIn", EVIDENCE, "uri"),
    ("/milestones/{m}/attach-evidence", "EvidenceIn", EVIDENCE, "media_type"),
    ("/milestones/{m}/comment", "CommentIn", {"text": "t"}, "text"),
    ("/alerts/{a}/acknowledge", "AcknowledgeIn", {"note": "n"}, "note"),
]


@pytest.mark.parametrize("blank", [" ", "\r", "\n\t  ", "\x1f", "\u3000\xa0"])
@pytest.mark.parametrize(
    ("path", "schema", "body", "field"), BLANKABLE, ids=[f"{b[1]}.{b[3]}" for b in BLANKABLE]
)
def test_a_blank_required_text_is_refused_by_the_schema(
    client: FlaskClient,
    tokens: dict[str, str],
    path: str,
    schema: str,
    body: dict[str, Any],
    field: str,
    blank: str,
) -> None:
    s: Seed = seed(client, tokens)
    url = path.format(p=s.programme_id, i=s.initiative_id, m=s.milestone_id, a=uuid.uuid4())
    before = log_length(client, tokens["viewer"])
    refused = post(client, tokens["overseer"], url, {**body, field: blank})
    assert refused.status_code == 422, refused.json
    assert refused.content_type == "application/problem+json"
    assert refused.json["code"] == "validation"
    assert "must not be blank" in str(refused.json["errors"]), refused.json
    assert log_length(client, tokens["viewer"]) == before


@pytest.mark.parametrize(
    ("schema", "field"), sorted({(b[1], b[3]) for b in BLANKABLE}), ids=lambda v: str(v)
)
def test_the_openapi_document_says_blank_text_is_refused(
    client: FlaskClient, schema: str, field: str
) -> None:
    document = client.get("/openapi.json", headers=bearer("unused")).json
    pattern = document["components"]["schemas"][schema]["properties"][field]["pattern"]
    assert pattern == NOT_BLANK.regex.pattern
