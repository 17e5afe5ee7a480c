"""The public portal (RT_PUBLIC_READ): an anonymous visitor reads the status of the
record, never who did what nor the office's internal notes (docs/public.md).

Everything the portal must withhold is seeded on purpose, with text found nowhere else:
token labels, token ids, a comment, a dispute reason, a verification note, an
acknowledgement note and a subscriber's address. Then every page reachable by following
links from /ui/ and every GET endpoint the app serves is read anonymously, and no answer
may contain any of it. An endpoint outside the documented public list must refuse, and
every write must be refused with nothing appended.
"""

from __future__ import annotations

import html
import re
from collections import deque
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.alerts.notifier import Notifier
from service.alerts.scan import OverdueScanner
from service.bootstrap import Services
from service.dashboards.projector import catch_up
from service.ledger.signing import create_key
from tests.conftest import AGENCY_A, bearer

SECRET_TEXTS = {
    "comment": "Comment seen only by staff 7f3a",
    "dispute": "Dispute reasoning kept internal 9c1e",
    "verification": "Verification note kept internal 4b2d",
    "acknowledgement": "Acknowledgement note kept internal 5e8f",
    "subscriber": "subscriber-2d9c@oversight.example",
}
# What an anonymous visitor may read (docs/public.md): route templates as Flask names them.
PUBLIC_GET = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/programmes",
    "/programmes/<uuid:programme_id>",
    "/programmes/<uuid:programme_id>/initiatives",
    "/programmes/<uuid:programme_id>/dashboard",
    "/initiatives/<uuid:initiative_id>",
    "/initiatives/<uuid:initiative_id>/milestones",
    "/initiatives/<uuid:initiative_id>/dashboard",
    "/milestones/<uuid:milestone_id>",
    "/dashboard",
    "/agencies/<string:agency>/scorecard",
    "/alerts",
    "/alerts/<uuid:alert_id>",
    "/verify",
    "/checkpoint",
    "/checkpoint/verifier-key",
    "/checkpoints",
    "/tree",
    "/proofs/inclusion",
    "/proofs/consistency",
    "/ui/",
    "/ui/programmes/<uuid:programme_id>",
    "/ui/initiatives/<uuid:initiative_id>",
    "/ui/milestones/<uuid:milestone_id>",
    "/ui/agencies/",
    "/ui/agencies/<string:agency>",
    "/ui/alerts",
    "/ui/alerts/<uuid:alert_id>",
    "/ui/login",
    "/dashboard/programmes.csv",
    "/dashboard/programmes.json",
    "/dashboard/milestones.csv",
    "/dashboard/milestones.json",
    "/programmes/<uuid:programme_id>/dashboard/initiatives.csv",
    "/programmes/<uuid:programme_id>/dashboard/initiatives.json",
    "/programmes/<uuid:programme_id>/dashboard/milestones.csv",
    "/programmes/<uuid:programme_id>/dashboard/milestones.json",
    "/initiatives/<uuid:initiative_id>/dashboard/milestones.csv",
    "/initiatives/<uuid:initiative_id>/dashboard/milestones.json",
    "/agencies/<string:agency>/scorecard/milestones.csv",
    "/agencies/<string:agency>/scorecard/milestones.json",
    "/calendar.ics",
    "/programmes/<uuid:programme_id>/calendar.ics",
    "/initiatives/<uuid:initiative_id>/calendar.ics",
    "/agencies/<string:agency>/calendar.ics",
}
# Open data: each table downloads as CSV and JSON, for the API and under /ui/data for the
# pages; and the calendar feeds.
PUBLIC_GET |= {
    "/ui/data" + rule
    for rule in set(PUBLIC_GET)
    if rule.endswith((".csv", ".json", ".ics")) and rule != "/openapi.json"
}
QUERIES = {"/proofs/inclusion": "?position=1", "/proofs/consistency": "?from=1"}
UNUSED = "00000000-0000-4000-8000-000000000000"
# Not reads: files, the catch-all, and the language switch (it sets a preference and
# goes back to the page; tests/integration/test_languages.py covers it).
NOT_READ = {
    "/static/<path:filename>",
    "/docs/assets/<path:name>",
    "/ui/<path:unknown>",
    "/ui/language/<string:chosen>",
}


@dataclass(frozen=True)
class Portal:
    secrets: dict[str, str]  # what must never show, by what it is
    paths: dict[str, str]  # placeholder -> a real value


@pytest.fixture
def portal(client: FlaskClient, services: Services) -> Portal:
    """A programme with a disputed, a verified and an overdue, acknowledged milestone,
    a comment and a subscriber; staff tokens with labels found nowhere else."""
    create_key(services.config.signing_key_path, "tracker.example/log")
    made = {
        name: services.tokens.create(role, agency, f"Label of {name} 3e7b")
        for name, role, agency in (
            ("overseer", "overseer", None),
            ("reporter", "reporter", AGENCY_A),
            ("admin", "admin", None),
        )
    }
    overseer, reporter, admin = (bearer(made[n][0]) for n in ("overseer", "reporter", "admin"))

    def post(headers: dict[str, str], path: str, body: dict[str, object]) -> dict:
        response = client.post(path, json=body, headers=headers)
        assert response.status_code in (200, 201), (path, response.get_data(as_text=True))
        return dict(response.json or {})

    subscription = post(
        admin, "/subscriptions", {"channel": "email", "address": SECRET_TEXTS["subscriber"]}
    )
    programme = post(overseer, "/programmes", {"title": "Army reform 2026", "lead_agency": "PGO"})
    pid = programme["programme_id"]
    initiative = post(
        overseer,
        f"/programmes/{pid}/initiatives",
        {"title": "Digital Prevention", "owner_agency": AGENCY_A, "lead": "Deputy"},
    )
    iid = initiative["initiative_id"]
    today = services.clock.today()
    ids = []
    for title, due in (
        ("Body cameras", today + timedelta(days=60)),
        ("Video surveillance", today + timedelta(days=90)),
        ("Online consultations", today - timedelta(days=8)),
    ):
        body = {"title": title, "planned_start": "2026-01-15", "due_date": due.isoformat()}
        ids.append(post(reporter, f"/initiatives/{iid}/milestones", body)["milestone_id"])
    disputed, verified, late = ids
    for milestone in (disputed, verified):
        post(reporter, f"/milestones/{milestone}/start", {})
        post(reporter, f"/milestones/{milestone}/report-complete", {})
    post(overseer, f"/milestones/{disputed}/dispute", {"reason": SECRET_TEXTS["dispute"]})
    post(overseer, f"/milestones/{verified}/verify", {"note": SECRET_TEXTS["verification"]})
    post(reporter, f"/milestones/{late}/comment", {"text": SECRET_TEXTS["comment"]})
    catch_up(services)
    OverdueScanner(services).scan()
    [alert] = services.alerts.open_alerts()
    note = {"note": SECRET_TEXTS["acknowledgement"]}
    post(reporter, f"/alerts/{alert['alert_id']}/acknowledge", note)
    Notifier(services).fan_out()
    catch_up(services)

    secrets = dict(SECRET_TEXTS)
    for name, (_, record) in made.items():
        secrets[f"{name} token id"] = record.id
        secrets[f"{name} token label"] = record.label
    services.config = services.config.with_(public_read=True)
    return Portal(
        secrets,
        {
            "programme_id": pid,
            "initiative_id": iid,
            "milestone_id": disputed,
            "alert_id": alert["alert_id"],
            "agency": AGENCY_A,
            "subscription_id": subscription["id"],
            "token_id": made["reporter"][1].id,
        },
    )


def fill(rule: str, portal: Portal) -> str:
    """A route with its placeholders filled with seeded ids (an unused id for the rest)."""
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: portal.paths.get(m.group(1), UNUSED), rule)


def leaks(body: str, secrets: dict[str, str]) -> list[str]:
    text = html.unescape(body)
    return [what for what, secret in secrets.items() if secret in text]


def test_anonymous_pages_show_the_record_and_withhold_the_rest(
    client: FlaskClient, portal: Portal
) -> None:
    seen: dict[str, str] = {}
    queue = deque(["/ui/"])
    while queue:
        path = queue.popleft()
        if path in seen or len(seen) > 300:
            continue
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        body = response.get_data(as_text=True)
        seen[path] = body
        assert not leaks(body, portal.secrets), (path, leaks(body, portal.secrets))
        if response.mimetype != "text/html":
            continue
        for link in re.findall(r'href="([^"]+)"', body):
            link = html.unescape(link).split("#")[0]
            if link.startswith("/") and not link.startswith(("/static/", "/ui/language/")):
                queue.append(link)

    pages = "\n".join(seen)
    for kind in ("programmes", "initiatives", "milestones", "alerts", "agencies"):
        assert f"/ui/{kind}/" in pages, f"no {kind} page reached by following links"
    assert "/checkpoint" in seen, "the latest signed checkpoint is linked from the portal"
    assert seen["/checkpoint"].startswith("tracker.example/log\n")
    milestone = seen[f"/ui/milestones/{portal.paths['milestone_id']}"]
    assert "disputed" in milestone and 'data-event-type="CompletionDisputed"' in milestone
    assert 'data-event-type="CommentAdded"' not in "".join(seen.values())


def test_anonymous_api_answers_only_the_public_list_and_withholds_the_rest(
    app: Flask, client: FlaskClient, portal: Portal
) -> None:
    answered = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.rule in NOT_READ:
            continue
        path = fill(rule.rule, portal)
        response = client.get(path + QUERIES.get(rule.rule, ""))
        body = response.get_data(as_text=True)
        assert not leaks(body, portal.secrets), (rule.rule, leaks(body, portal.secrets))
        if response.status_code == 200:
            answered.add(rule.rule)
        elif response.status_code == 302:  # a staff page (bulk reports): sign in first
            assert response.headers["Location"].startswith("/ui/login"), rule.rule
        else:
            assert response.status_code == 401, (rule.rule, response.status_code)
    assert answered == PUBLIC_GET, (answered - PUBLIC_GET, PUBLIC_GET - answered)
    for events in ("/events", f"/milestones/{portal.paths['milestone_id']}/events"):
        assert client.get(events).status_code == 401, "the log names who acted"


def test_anonymous_visitors_cannot_write_anything(
    app: Flask, client: FlaskClient, services: Services, portal: Portal
) -> None:
    before = services.store.head_position()
    for rule in app.url_map.iter_rules():
        for method in (rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}:
            path = fill(rule.rule, portal)
            form = client.open(path, method=method, data={"note": "from outside", "token": "x"})
            assert form.status_code in (401, 403), (method, rule.rule, form.status_code)
            body = client.open(path, method=method, json={"note": "from outside"})
            assert body.status_code in (401, 403), (method, rule.rule, body.status_code)
    assert services.store.head_position() == before


def test_a_page_staff_have_seen_is_never_shown_to_the_public(
    app: Flask, client: FlaskClient, services: Services, portal: Portal
) -> None:
    """Page bodies are remembered per process: staff and the public must not share one."""
    paths = portal.paths
    pages = ["/ui/", f"/ui/programmes/{paths['programme_id']}"]
    pages += [f"/ui/initiatives/{paths['initiative_id']}", f"/ui/agencies/{paths['agency']}"]
    staff = app.test_client()
    token, _ = services.tokens.create("viewer", None, "desk officer")
    staff.post("/ui/login", data={"token": token})
    seen = [staff.get(page).get_data(as_text=True) for page in pages]
    assert any(SECRET_TEXTS["dispute"] in body for body in seen)  # a RAG reason quotes it
    for page in pages:
        answer = client.get(page)
        assert answer.status_code == 200
        assert not leaks(answer.get_data(as_text=True), portal.secrets), page


def test_staff_who_sign_in_on_the_portal_see_everything(
    client: FlaskClient, services: Services, portal: Portal
) -> None:
    milestone = f"/ui/milestones/{portal.paths['milestone_id']}"
    assert SECRET_TEXTS["dispute"] not in client.get(milestone).get_data(as_text=True)
    token, _ = services.tokens.create("viewer", None, "desk officer")
    client.post("/ui/login", data={"token": token, "next": milestone})
    page = client.get(milestone).get_data(as_text=True)
    assert SECRET_TEXTS["dispute"] in page and "Label of overseer 3e7b" in page
    assert "public read-only view" not in page
