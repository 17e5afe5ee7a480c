"""The README's walk-through, end to end through the Flask app and a real Redis."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import bearer
from tests.integration.api_helpers import post, seed


def test_milestone_lifecycle_is_recorded_and_verifiable(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    s = seed(client, tokens)
    reporter, overseer = tokens["reporter_a"], tokens["overseer"]
    base = f"/milestones/{s.milestone_id}"
    assert post(client, reporter, f"{base}/start", {}).status_code == 200
    progress = post(client, reporter, f"{base}/report-progress", {"percent": 40, "note": "pilot"})
    assert progress.status_code == 200, progress.json
    assert progress.json["milestone"]["progress"] == 40
    assert progress.json["events"][0]["type"] == "ProgressReported"
    assert progress.headers["ETag"] == '"3"'
    evidence = post(
        client,
        reporter,
        f"{base}/attach-evidence",
        {
            "uri": "https://example.org/cams.pdf",
            "sha256": "ab" * 32,
            "media_type": "application/pdf",
            "captured_at": "2026-11-20T10:00:00+00:00",
        },
    )
    assert evidence.status_code == 200, evidence.json
    assert post(client, reporter, f"{base}/report-complete", {}).status_code == 200
    verified = post(client, overseer, f"{base}/verify", {"note": "site visit"})
    assert verified.status_code == 200, verified.json
    assert verified.json["milestone"]["status"] == "verified"

    state = client.get(base, headers=bearer(tokens["viewer"]))
    assert state.json["status"] == "verified" and state.json["evidence_count"] == 1
    assert state.headers["ETag"] == '"6"'

    events = client.get(f"{base}/events", headers=bearer(tokens["viewer"])).json["events"]
    assert [e["type"] for e in events] == [
        "MilestonePlanned",
        "MilestoneStarted",
        "ProgressReported",
        "EvidenceAttached",
        "MilestoneReportedComplete",
        "CompletionVerified",
    ]
    assert events[-1]["actor"]["role"] == "overseer"

    log = client.get("/events?limit=3", headers=bearer(tokens["viewer"])).json
    assert [e["position"] for e in log["events"]] == [1, 2, 3]
    rest = client.get(f"/events?after={log['next_cursor']}", headers=bearer(tokens["viewer"]))
    assert [e["position"] for e in rest.json["events"]] == [4, 5, 6, 7, 8]
    assert rest.json["next_cursor"] is None

    report = client.get("/verify", headers=bearer(tokens["viewer"])).json
    assert report["ok"] is True and report["events_checked"] == 8


def test_lists_follow_creation_order(client: FlaskClient, tokens: dict[str, str]) -> None:
    s = seed(client, tokens)
    viewer = bearer(tokens["viewer"])
    assert [p["programme_id"] for p in client.get("/programmes", headers=viewer).json] == [
        s.programme_id
    ]
    initiatives = client.get(f"/programmes/{s.programme_id}/initiatives", headers=viewer).json
    assert [i["initiative_id"] for i in initiatives] == [s.initiative_id]
    milestones = client.get(f"/initiatives/{s.initiative_id}/milestones", headers=viewer).json
    assert milestones[0]["milestone_id"] == s.milestone_id
    assert milestones[0]["overdue"] is False


def test_overdue_is_derived_from_the_clock(client, tokens, clock) -> None:
    s = seed(client, tokens, due="2026-11-20")
    body = client.get(f"/milestones/{s.milestone_id}", headers=bearer(tokens["viewer"])).json
    assert body["overdue"] is True and body["days_overdue"] == 5


def test_openapi_document_is_generated(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    assert "/milestones/{milestone_id}/verify" in spec["paths"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_health_and_metrics(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "ready"
    client.get("/healthz")
    assert b"reform_tracker_http_requests_total" in client.get("/metrics").data
