"""The HTML pages: sign-in by cookie (never a token in the URL), public read mode, and
what each page shows of the demo programme."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.bootstrap import Services
from service.dashboards.projector import Projector
from service.dashboards.readmodel_check import check_read_models
from service.dashboards.readmodels import Layout, live_generations
from tests.conftest import AGENCY_B, bearer
from tests.integration.test_dashboards_api import BODY_CAMERAS, CONTACTS, RECORDING, demo

__all__ = ["demo"]  # the fixture, shared with the JSON tests


def sign_in(client: FlaskClient, token: str, next_page: str = "/ui/") -> Any:
    return client.post("/ui/login", data={"token": token, "next": next_page})


@pytest.fixture
def signed_in(client: FlaskClient, tokens: dict[str, str]) -> FlaskClient:
    assert sign_in(client, tokens["viewer"]).status_code == 302
    return client


def test_pages_ask_for_sign_in_and_never_take_a_token_from_the_url(
    client: FlaskClient, tokens: dict[str, str], demo: dict[str, str]
) -> None:
    page = f"/ui/programmes/{demo['programme']}"
    assert client.get(page).headers["Location"] == f"/ui/login?next={page}"
    assert client.get(f"{page}?token={tokens['viewer']}").status_code == 302
    assert client.get(page, headers=bearer(tokens["viewer"])).status_code == 302

    refused = sign_in(client, "rt_not-a-token", page)
    assert refused.status_code == 401 and "Set-Cookie" not in refused.headers
    accepted = sign_in(client, tokens["viewer"], page)
    assert accepted.status_code == 302 and accepted.headers["Location"] == page
    cookie = accepted.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/ui" in cookie
    assert client.get(page).status_code == 200

    assert client.post("/ui/logout").status_code == 403, "a form post needs its CSRF field"
    assert client.post("/ui/logout", data={"csrf_token": "0" * 64}).status_code == 403
    assert client.get(page).status_code == 200
    field = re.search(rb'name="csrf_token" value="([0-9a-f]{64})"', client.get(page).data)
    assert field is not None
    signed_out = client.post("/ui/logout", data={"csrf_token": field.group(1).decode()})
    assert signed_out.status_code == 302
    assert client.get(page).status_code == 302


def test_sign_in_refuses_foreign_origins_and_foreign_redirects(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    foreign = client.post(
        "/ui/login", data={"token": tokens["viewer"]}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403 and "Set-Cookie" not in foreign.headers
    elsewhere = sign_in(client, tokens["viewer"], "https://evil.example/ui/")
    assert elsewhere.headers["Location"] == "/ui/"


def test_revoking_the_token_signs_the_reader_out(
    client: FlaskClient, services: Services, demo: dict[str, str]
) -> None:
    token, record = services.tokens.create("viewer", None, "to revoke")
    sign_in(client, token)
    assert client.get("/ui/").status_code == 200
    services.tokens.revoke(record.id)
    assert client.get("/ui/").status_code == 302


def test_public_read_mode_needs_no_sign_in(
    client: FlaskClient, services: Services, demo: dict[str, str]
) -> None:
    services.config = services.config.with_(public_read=True)
    page = client.get("/ui/")
    assert page.status_code == 200 and b"public read-only view" in page.data


def test_programme_page(signed_in: FlaskClient, demo: dict[str, str]) -> None:
    html = signed_in.get(f"/ui/programmes/{demo['programme']}").get_data(as_text=True)
    assert "Army reform 2026" in html and 'data-programme-rag="amber"' in html
    overdue = html[html.index('id="overdue"') :]
    assert overdue.index(BODY_CAMERAS) < overdue.index(CONTACTS)
    assert f'data-milestone-id="{demo[BODY_CAMERAS]}"' in overdue
    assert 'role="progressbar" aria-valuenow="32.9"' in html
    assert "As of log position" in html


def test_initiative_page_milestone_table(
    signed_in: FlaskClient, tokens: dict[str, str], demo: dict[str, str]
) -> None:
    path = f"/programmes/{demo['programme']}/dashboard"
    programme: Any = signed_in.get(path, headers=bearer(tokens["viewer"])).json
    digital = programme["initiatives"][1]["initiative_id"]
    html = signed_in.get(f"/ui/initiatives/{digital}").get_data(as_text=True)
    row = html[html.index(f'data-milestone-id="{demo[RECORDING]}"') :]
    row = row[: row.index("</tr>")]
    assert "2026-11-20" in row and "2027-01-24" in row and "+65 d" in row


def test_milestone_timeline_shows_who_when_what_and_evidence(
    signed_in: FlaskClient, demo: dict[str, str], services: Services
) -> None:
    video = demo["Video surveillance in units"]
    html = signed_in.get(f"/ui/milestones/{video}").get_data(as_text=True)
    events = services.store.read_stream(f"milestone-{video}")
    assert html.count("<li data-event-type=") == len(events) == 8
    evidence = next(e for e in events if e.type == "EvidenceAttached")
    assert evidence.payload["sha256"] in html and evidence.hash in html
    assert "Completion verified" in html and "verified 2026-10-30" in html
    assert "token demo-overseer" in html and "reporter (Prosecutor General" in html


def test_untrusted_text_is_escaped_and_odd_links_are_not_links(
    signed_in: FlaskClient, tokens: dict[str, str], demo: dict[str, str], services: Services
) -> None:
    milestone = demo[BODY_CAMERAS]
    for verb, body in (
        ("comment", {"text": "<script>alert(1)</script>"}),
        (
            "attach-evidence",
            {
                "uri": "javascript:alert(1)",
                "sha256": "a" * 64,
                "media_type": "text/html",
                "captured_at": "2026-11-20T10:00:00Z",
            },
        ),
    ):
        response = signed_in.post(
            f"/milestones/{milestone}/{verb}", json=body, headers=bearer(tokens["reporter_a"])
        )
        assert response.status_code == 200, response.json
    Projector(services).catch_up()
    html = signed_in.get(f"/ui/milestones/{milestone}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html and "javascript:alert(1)" in html


def test_scorecard_page_and_missing_pages(signed_in: FlaskClient, demo: dict[str, str]) -> None:
    html = signed_in.get(f"/ui/agencies/{AGENCY_B}").get_data(as_text=True)
    assert "Ministry of Defence: scorecard" in html and "<b>65</b>days slipped" in html
    for missing in (
        "/ui/programmes/00000000-0000-4000-8000-000000000000",
        "/ui/milestones/00000000-0000-4000-8000-000000000000",
    ):
        assert signed_in.get(missing).status_code == 404
    assert signed_in.get("/ui/?as_of=yesterday").status_code == 422


def test_overview_shows_when_the_read_models_were_last_checked(
    signed_in: FlaskClient, services: Services, demo: dict[str, str]
) -> None:
    def shown() -> str:
        html = signed_in.get("/ui/").get_data(as_text=True)
        line = html[html.index('id="read-models-checked"') :]
        return " ".join(line[: line.index("</p>")].split())

    assert "Read models last checked against the log: never." in shown()
    check = check_read_models(services)
    assert f"{check.checked_at} — OK." in shown()
    layout = Layout(services.keys, live_generations(services.redis, services.keys))
    key, target = layout.records("milestones"), demo[BODY_CAMERAS]
    record = json.loads(services.redis.hget(key, target))
    services.redis.hset(key, target, json.dumps({**record, "percent_complete": 100}))
    check_read_models(services)
    assert f"differ at milestones {target}, field percent_complete." in shown()
