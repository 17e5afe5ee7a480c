"""Every refused request answers problem+json and appends nothing to the log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import bearer
from tests.integration.api_helpers import Seed, log_length, post, seed


@pytest.fixture
def seeded(client: FlaskClient, tokens: dict[str, str]) -> Seed:
    return seed(client, tokens)


Request = Callable[[FlaskClient, dict[str, str], Seed], Any]


def _cmd(token: str, verb: str, body: Any, **headers: str) -> Request:
    return lambda c, t, s: post(
        c, t[token], f"/milestones/{s.milestone_id}/{verb}", body, **headers
    )


CASES: list[tuple[str, Request, int, str | None]] = [
    (
        "unknown field",
        _cmd("reporter_a", "report-progress", {"percent": 5, "colour": "red"}),
        422,
        "validation",
    ),
    (
        "percent above 100",
        _cmd("reporter_a", "report-progress", {"percent": 101}),
        422,
        "validation",
    ),
    (
        "percent as string",
        _cmd("reporter_a", "report-progress", {"percent": "5"}),
        422,
        "validation",
    ),
    ("dispute without reason", _cmd("overseer", "dispute", {}), 422, "validation"),
    (
        "bad sha256",
        _cmd(
            "reporter_a",
            "attach-evidence",
            {
                "uri": "x",
                "sha256": "zz",
                "media_type": "a/b",
                "captured_at": "2026-01-01T00:00:00Z",
            },
        ),
        422,
        "validation",
    ),
    (
        "progress before start",
        _cmd("reporter_a", "report-progress", {"percent": 5}),
        409,
        "illegal-transition",
    ),
    ("verify before reported complete", _cmd("overseer", "verify", {}), 409, "illegal-transition"),
    (
        "reschedule to the same date",
        _cmd("reporter_a", "reschedule", {"new_due_date": "2026-12-31", "reason": "none"}),
        422,
        "invalid-value",
    ),
    (
        "stale If-Match",
        _cmd("reporter_a", "start", {}, **{"If-Match": '"7"'}),
        412,
        "version-mismatch",
    ),
    ("reporter of another agency", _cmd("reporter_b", "start", {}), 403, "forbidden"),
    ("viewer writes", _cmd("viewer", "start", {}), 403, "forbidden"),
    ("reporter verifies", _cmd("reporter_a", "verify", {}), 403, "forbidden"),
    ("admin reports progress", _cmd("admin", "start", {}), 403, "forbidden"),
    ("no token", lambda c, t, s: c.post(f"/milestones/{s.milestone_id}/start", json={}), 401, None),
    (
        "unknown token",
        lambda c, t, s: c.post(
            f"/milestones/{s.milestone_id}/start", json={}, headers=bearer("rt_nope")
        ),
        401,
        None,
    ),
    (
        "unknown milestone",
        lambda c, t, s: post(
            c, t["reporter_a"], "/milestones/00000000-0000-4000-8000-000000000000/start", {}
        ),
        404,
        "not-found",
    ),
    (
        "wrong content type",
        lambda c, t, s: c.post(
            f"/milestones/{s.milestone_id}/start",
            data="note=x",
            headers=bearer(
                t["reporter_a"], **{"Content-Type": "application/x-www-form-urlencoded"}
            ),
        ),
        415,
        "unsupported-media-type",
    ),
    ("body too large", _cmd("reporter_a", "comment", {"text": "x" * 20_000}), 413, None),
    (
        "malformed json",
        lambda c, t, s: c.post(
            f"/milestones/{s.milestone_id}/start",
            data="{not json",
            headers=bearer(t["reporter_a"], **{"Content-Type": "application/json"}),
        ),
        400,
        None,
    ),
    (
        "milestone due before start",
        lambda c, t, s: post(
            c,
            t["reporter_a"],
            f"/initiatives/{s.initiative_id}/milestones",
            {"title": "x", "planned_start": "2026-05-01", "due_date": "2026-04-01"},
        ),
        422,
        "invalid-value",
    ),
    (
        "reporter plans for another agency",
        lambda c, t, s: post(
            c,
            t["reporter_b"],
            f"/initiatives/{s.initiative_id}/milestones",
            {"title": "x", "planned_start": "2026-05-01", "due_date": "2026-06-01"},
        ),
        403,
        "forbidden",
    ),
    (
        "reporter creates a programme",
        lambda c, t, s: post(c, t["reporter_a"], "/programmes", {"title": "x", "lead_agency": "y"}),
        403,
        "forbidden",
    ),
    (
        "viewer creates a token",
        lambda c, t, s: post(c, t["viewer"], "/tokens", {"role": "admin"}),
        403,
        "forbidden",
    ),
    (
        "reporter token without agency",
        lambda c, t, s: post(c, t["admin"], "/tokens", {"role": "reporter"}),
        422,
        "validation",
    ),
]


@pytest.mark.parametrize(
    ("request_", "status", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_refusal_is_a_problem_and_changes_nothing(
    client: FlaskClient,
    tokens: dict[str, str],
    seeded: Seed,
    request_: Request,
    status: int,
    code: str | None,
) -> None:
    before = log_length(client, tokens["viewer"])
    state_before = client.get(
        f"/milestones/{seeded.milestone_id}", headers=bearer(tokens["viewer"])
    ).json
    response = request_(client, tokens, seeded)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    problem = response.json
    assert problem["status"] == status and problem["title"]
    if code:
        assert problem["code"] == code
    if status == 422 and code == "validation":
        assert problem["errors"]
    assert log_length(client, tokens["viewer"]) == before
    assert (
        client.get(f"/milestones/{seeded.milestone_id}", headers=bearer(tokens["viewer"])).json
        == state_before
    )


def test_unknown_field_names_the_field(client, tokens, seeded) -> None:
    response = post(
        client, tokens["reporter_a"], f"/milestones/{seeded.milestone_id}/start", {"colour": "red"}
    )
    assert "colour" in response.json["errors"]


def test_if_match_with_current_version_succeeds(client, tokens, seeded) -> None:
    response = post(
        client,
        tokens["reporter_a"],
        f"/milestones/{seeded.milestone_id}/start",
        {},
        **{"If-Match": '"1"'},
    )
    assert response.status_code == 200 and response.headers["ETag"] == '"2"'


def test_unauthenticated_reads_are_refused_unless_public(client, seeded) -> None:
    response = client.get(f"/milestones/{seeded.milestone_id}")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_public_read_mode_allows_anonymous_reads_only(services, seeded, tokens) -> None:
    from service.api.app import create_app

    services.config = services.config.with_(public_read=True)
    public = create_app(services=services).test_client()
    assert public.get(f"/milestones/{seeded.milestone_id}").status_code == 200
    assert public.post(f"/milestones/{seeded.milestone_id}/start", json={}).status_code == 401


def test_security_headers_on_every_response(client, tokens, seeded) -> None:
    for response in (
        client.get("/healthz"),
        client.get("/programmes", headers=bearer(tokens["viewer"])),
        client.get("/nope"),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Request-ID"]
    authed = client.get("/programmes", headers=bearer(tokens["viewer"]))
    assert authed.headers["Cache-Control"] == "no-store"
