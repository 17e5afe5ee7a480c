"""Every endpoint x every persona: who may call it, and that a refusal appends nothing.

The table must name every route the app serves: a new endpoint without a row fails
``test_every_route_is_in_the_table``, so nobody can add one without deciding who may
use it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.alerts.scan import OverdueScanner
from service.bootstrap import Services
from tests.alerting import Tracked, project_read_models
from tests.conftest import AGENCY_B, bearer

PERSONAS = ("anonymous", "viewer", "reporter_other", "reporter_own", "overseer", "admin")
TOKEN_OF = {
    "viewer": "viewer",
    "reporter_other": "reporter_b",
    "reporter_own": "reporter_a",
    "overseer": "overseer",
    "admin": "admin",
}
SIGNED_IN = frozenset(PERSONAS) - {"anonymous"}
EVERYONE = frozenset(PERSONAS)
OWN_OR_OVERSEER = frozenset({"reporter_own", "overseer"})
UNUSED = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Ids:
    programme: str
    initiative: str
    milestone: str
    alert: str
    subscription: str
    token: str


def body_for(verb: str) -> dict[str, Any]:
    return {
        "report-progress": {"percent": 10},
        "reschedule": {"new_due_date": "2027-03-01", "reason": "procurement delay"},
        "block": {"reason": "supplier"},
        "dispute": {"reason": "no evidence"},
        "cancel": {"reason": "merged"},
        "comment": {"text": "noted"},
        "attach-evidence": {
            "uri": "https://example.org/a.pdf",
            "sha256": "ab" * 32,
            "media_type": "application/pdf",
            "captured_at": "2026-11-01T10:00:00+00:00",
        },
    }.get(verb, {})


# A bulk report names the milestone of the ``ids`` fixture by its title.
REPORT_ROW = {"initiative": "Law and Order in the Army", "milestone": "Body cameras for guard duty"}

# (method, route template, body, personas allowed). Templates use {programme} etc.
ROWS: list[tuple[str, str, Any, frozenset[str]]] = [
    ("GET", "/healthz", None, EVERYONE),
    ("GET", "/readyz", None, EVERYONE),
    ("GET", "/metrics", None, EVERYONE),
    ("GET", "/openapi.json", None, EVERYONE),
    ("GET", "/docs", None, EVERYONE),
    ("GET", "/programmes", None, SIGNED_IN),
    ("POST", "/programmes", {"title": "T", "lead_agency": "L"}, frozenset({"overseer", "admin"})),
    ("GET", "/programmes/{programme}", None, SIGNED_IN),
    ("GET", "/programmes/{programme}/events", None, SIGNED_IN),
    ("GET", "/programmes/{programme}/initiatives", None, SIGNED_IN),
    (
        "POST",
        "/programmes/{programme}/initiatives",
        {"title": "T", "owner_agency": "A"},
        frozenset({"overseer", "admin"}),
    ),
    ("GET", "/programmes/{programme}/dashboard", None, SIGNED_IN),
    ("GET", "/initiatives/{initiative}", None, SIGNED_IN),
    ("GET", "/initiatives/{initiative}/events", None, SIGNED_IN),
    ("GET", "/initiatives/{initiative}/dashboard", None, SIGNED_IN),
    ("GET", "/initiatives/{initiative}/milestones", None, SIGNED_IN),
    (
        "POST",
        "/initiatives/{initiative}/milestones",
        {"title": "T", "planned_start": "2026-02-01", "due_date": "2026-12-01"},
        OWN_OR_OVERSEER,
    ),
    # Naming agency B the owner: B's reporter may not plan inside agency A's initiative,
    # nor may A's reporter hand work to B; an overseer may.
    (
        "POST",
        "/initiatives/{initiative}/milestones",
        {
            "title": "T",
            "planned_start": "2026-02-01",
            "due_date": "2026-12-01",
            "owner_agency": AGENCY_B,
        },
        frozenset({"overseer"}),
    ),
    ("GET", "/milestones/{milestone}", None, SIGNED_IN),
    ("GET", "/milestones/{milestone}/events", None, SIGNED_IN),
    *[
        ("POST", f"/milestones/{{milestone}}/{verb}", body_for(verb), frozenset({"reporter_own"}))
        for verb in (
            "start",
            "report-progress",
            "reschedule",
            "block",
            "unblock",
            "attach-evidence",
            "report-complete",
        )
    ],
    *[
        ("POST", f"/milestones/{{milestone}}/{verb}", body_for(verb), frozenset({"overseer"}))
        for verb in ("verify", "dispute")
    ],
    *[
        ("POST", f"/milestones/{{milestone}}/{verb}", body_for(verb), OWN_OR_OVERSEER)
        for verb in ("cancel", "comment")
    ],
    ("GET", "/events", None, SIGNED_IN),
    ("GET", "/verify", None, SIGNED_IN),
    ("GET", "/checkpoint", None, SIGNED_IN),
    ("GET", "/checkpoint/verifier-key", None, SIGNED_IN),
    ("GET", "/checkpoints", None, SIGNED_IN),
    ("GET", "/tree", None, SIGNED_IN),
    ("GET", "/proofs/inclusion?position=1", None, SIGNED_IN),
    ("GET", "/proofs/consistency?from=1", None, SIGNED_IN),
    ("GET", "/dashboard", None, SIGNED_IN),
    ("GET", "/agencies/{agency}/scorecard", None, SIGNED_IN),
    ("GET", "/alerts", None, SIGNED_IN),
    ("GET", "/alerts/{alert}", None, SIGNED_IN),
    ("POST", "/alerts/{alert}/acknowledge", {"note": "on it"}, OWN_OR_OVERSEER),
    ("GET", "/subscriptions", None, frozenset({"admin"})),
    (
        "POST",
        "/subscriptions",
        {"channel": "email", "address": "desk@example.org"},
        frozenset({"admin"}),
    ),
    ("GET", "/subscriptions/{subscription}", None, frozenset({"admin"})),
    ("DELETE", "/subscriptions/{subscription}", None, frozenset({"admin"})),
    ("GET", "/subscriptions/{subscription}/deliveries", None, frozenset({"admin"})),
    ("POST", "/subscriptions/{subscription}/rotate-secret", {}, frozenset({"admin"})),
    (
        "POST",
        "/subscriptions/{subscription}/deliveries/{unused}/redeliver",
        {},
        frozenset({"admin"}),
    ),
    ("POST", "/imports", [{**REPORT_ROW, "command": "comment", "note": "n"}], OWN_OR_OVERSEER),
    (
        "POST",
        "/imports",
        [{**REPORT_ROW, "command": "progress", "percent": 10}],
        frozenset({"reporter_own"}),
    ),
    ("GET", "/agencies/{agency}/report-template.xlsx", None, SIGNED_IN),
    ("GET", "/tokens", None, frozenset({"admin"})),
    ("POST", "/tokens", {"role": "viewer"}, frozenset({"admin"})),
    ("DELETE", "/tokens/{token}", None, frozenset({"admin"})),
    # Open data, for the API and (where the sign-in cookie is also accepted) the pages.
    *[
        ("GET", prefix + download, None, SIGNED_IN)
        for prefix in ("", "/ui/data")
        for download in (
            *[
                f"/dashboard/{table}.{kind}"
                for table in ("programmes", "milestones")
                for kind in ("csv", "json")
            ],
            *[
                f"/programmes/{{programme}}/dashboard/{table}.{kind}"
                for table in ("initiatives", "milestones")
                for kind in ("csv", "json")
            ],
            "/initiatives/{initiative}/dashboard/milestones.csv",
            "/initiatives/{initiative}/dashboard/milestones.json",
            "/agencies/{agency}/scorecard/milestones.csv",
            "/agencies/{agency}/scorecard/milestones.json",
            "/calendar.ics",
            "/programmes/{programme}/calendar.ics",
            "/initiatives/{initiative}/calendar.ics",
            "/agencies/{agency}/calendar.ics",
        )
    ],
]
# The HTML pages authenticate with a session cookie (see test_dashboard_pages*); here:
# without one, every page sends the browser to the login form.
PAGES = [
    "/ui/",
    "/ui/programmes/{programme}",
    "/ui/initiatives/{initiative}",
    "/ui/milestones/{milestone}",
    "/ui/agencies/",
    "/ui/agencies/{agency}",
    "/ui/alerts",
    "/ui/alerts/{alert}",
    "/ui/reports/",
    "/ui/reports/template.xlsx",
]
# Page forms: a signed-in reader's cookie and CSRF field, then the same policy as the API
# (tests/integration/test_alert_pages.py); without a session nothing gets through.
PAGE_FORMS = ["/ui/alerts/{alert}/acknowledge"]
# The sign-in form, the bulk report forms (refused without the sign-in cookie's CSRF
# field; see their own tests), the HTML 404 page for every unknown /ui/ address, and the
# language switch, open to anyone because it only remembers a language
# (tests/integration/test_languages.py).
NOT_API = {
    "/static/<path:filename>",
    "/docs/assets/<path:name>",
    "/ui/login",
    "/ui/logout",
    "/ui/language/<string:chosen>",
    "/ui/<path:unknown>",
    "/ui/reports/check",
    "/ui/reports/confirm",
}


def template_of(rule: str) -> str:
    names = {
        "programme_id": "programme",
        "initiative_id": "initiative",
        "milestone_id": "milestone",
        "alert_id": "alert",
        "token_id": "token",
        "subscription_id": "subscription",
        "delivery_id": "unused",
        "agency": "agency",
    }
    for converter in ("uuid:", "string:"):
        rule = rule.replace("<" + converter, "<")
    for name, placeholder in names.items():
        rule = rule.replace(f"<{name}>", "{" + placeholder + "}")
    return rule


def test_every_route_is_in_the_table(app: Flask) -> None:
    covered = {(method, route.split("?")[0]) for method, route, _, _ in ROWS}
    covered |= {("GET", page) for page in PAGES}
    covered |= {("POST", form) for form in PAGE_FORMS}
    for rule in app.url_map.iter_rules():
        if rule.rule in NOT_API:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, template_of(rule.rule)) in covered, f"{method} {rule.rule}"


@pytest.fixture
def ids(services: Services, client: FlaskClient, tokens: dict[str, str]) -> Ids:
    tracked = Tracked(services)
    milestone = tracked.milestone(services.clock.today() - timedelta(days=3))
    tracked.command(milestone, "start")
    project_read_models(services)
    OverdueScanner(services).scan()
    alerts = client.get("/alerts", headers=bearer(tokens["overseer"])).json
    subscription = client.post(
        "/subscriptions",
        headers=bearer(tokens["admin"]),
        json={"channel": "email", "address": "oversight@example.org"},
    ).json
    return Ids(
        tracked.programme_id,
        tracked.initiative_id,
        milestone,
        alerts["alerts"][0]["id"],
        subscription["id"],
        services.tokens.create("viewer", None, "to revoke")[1].id,
    )


def _log_length(services: Services) -> int:
    return services.store.head_position()


def row_id(method: str, route: str, body: Any) -> str:
    if isinstance(body, list):
        return f"{method} {route} command={body[0]['command']}"
    owner = (body or {}).get("owner_agency")
    return f"{method} {route}" + (
        f" owner_agency={owner}" if owner and "milestones" in route else ""
    )


@pytest.mark.parametrize(
    ("method", "route", "body", "allowed"), ROWS, ids=[row_id(m, r, b) for m, r, b, _ in ROWS]
)
def test_only_the_allowed_personas_get_through(
    client: FlaskClient,
    tokens: dict[str, str],
    services: Services,
    ids: Ids,
    method: str,
    route: str,
    body: Any,
    allowed: frozenset[str],
) -> None:
    from tests.conftest import AGENCY_A

    path = route.format(
        programme=ids.programme,
        initiative=ids.initiative,
        milestone=ids.milestone,
        alert=ids.alert,
        token=ids.token,
        subscription=ids.subscription,
        unused=UNUSED,
        agency=AGENCY_A,
    )
    # Refusals first, so a refused write cannot hide behind an allowed one's effects.
    for persona in sorted(PERSONAS, key=lambda p: p in allowed):
        headers = bearer(tokens[TOKEN_OF[persona]]) if persona in TOKEN_OF else {}
        before = _log_length(services)
        response = client.open(path, method=method, json=body, headers=headers)
        response.get_data()  # a streamed download holds its request until read
        status = response.status_code
        if persona in allowed:
            assert status not in (401, 403), f"{persona} refused: {response.get_data()}"
        else:
            assert status == (401 if persona == "anonymous" else 403), (persona, status)
            assert response.content_type == "application/problem+json"
            assert _log_length(services) == before, f"{persona} appended while refused"


@pytest.mark.parametrize("page", PAGES)
def test_pages_need_a_session(client: FlaskClient, ids: Ids, page: str) -> None:
    from tests.conftest import AGENCY_A

    path = page.format(
        programme=ids.programme,
        initiative=ids.initiative,
        milestone=ids.milestone,
        agency=AGENCY_A,
        alert=ids.alert,
    )
    response = client.get(path)
    assert response.status_code == 302 and "/ui/login" in response.headers["Location"]


@pytest.mark.parametrize("form", PAGE_FORMS)
@pytest.mark.parametrize("public_read", [False, True])
def test_page_forms_refuse_anyone_without_a_session(
    client: FlaskClient, services: Services, ids: Ids, form: str, public_read: bool
) -> None:
    services.config = services.config.with_(public_read=public_read)
    before = _log_length(services)
    response = client.post(form.format(alert=ids.alert), data={"note": "on it"})
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert _log_length(services) == before


def test_unknown_ids_do_not_reveal_existence_to_outsiders(client, tokens) -> None:
    response = client.get(f"/milestones/{uuid.uuid4()}")
    assert response.status_code == 401
