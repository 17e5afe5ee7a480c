"""Building blocks for API tests: create records through the HTTP API itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import AGENCY_A, bearer


@dataclass(frozen=True)
class Seed:
    programme_id: str
    initiative_id: str
    milestone_id: str


def post(client: FlaskClient, token: str, path: str, body: Any, **headers: str) -> Any:
    return client.post(path, json=body, headers=bearer(token, **headers))


def seed(client: FlaskClient, tokens: dict[str, str], due: str = "2026-12-31") -> Seed:
    programme = post(
        client,
        tokens["overseer"],
        "/programmes",
        {"title": "Army reform 2026", "lead_agency": "Oversight Office"},
    )
    assert programme.status_code == 201, programme.json
    pid = programme.json["programme_id"]
    initiative = post(
        client,
        tokens["overseer"],
        f"/programmes/{pid}/initiatives",
        {
            "title": "Law and Order in the Army",
            "owner_agency": AGENCY_A,
            "lead": "Deputy Prosecutor General",
        },
    )
    assert initiative.status_code == 201, initiative.json
    iid = initiative.json["initiative_id"]
    milestone = post(
        client,
        tokens["reporter_a"],
        f"/initiatives/{iid}/milestones",
        {
            "title": "Body cameras for duty and guard soldiers",
            "planned_start": "2026-01-15",
            "due_date": due,
        },
    )
    assert milestone.status_code == 201, milestone.json
    return Seed(pid, iid, milestone.json["milestone_id"])


def log_length(client: FlaskClient, token: str) -> int:
    response = client.get("/events?limit=500", headers=bearer(token))
    return len(response.json["events"])
