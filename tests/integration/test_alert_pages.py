"""Open alerts appear on the programme, initiative and milestone pages, and leave them
once resolved; the alerts pages list, filter and sort them, show each one's history and
deliveries, and acknowledge by the API's rules; the pages name agencies, programmes,
initiatives and the people who acted."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from flask.testing import FlaskClient

from service.alerts.notifier import Notifier
from service.alerts.scan import OverdueScanner
from service.bootstrap import Services
from tests.alerting import Tracked, overdue_alert, project_read_models
from tests.conftest import AGENCY_A, AGENCY_B, bearer
from tests.integration.test_dashboards_html import sign_in


def test_pages_list_open_alerts_until_resolved(
    client: FlaskClient, tokens: dict[str, str], services: Services
) -> None:
    tracked = Tracked(services)
    late = tracked.milestone(services.clock.today() - timedelta(days=9), "Video surveillance")
    on_time = tracked.milestone(services.clock.today() + timedelta(days=200), "Consultations")
    project_read_models(services)
    OverdueScanner(services).scan()
    client.post("/ui/login", data={"token": tokens["viewer"], "next": "/ui/"})

    pages = [
        f"/ui/programmes/{tracked.programme_id}",
        f"/ui/initiatives/{tracked.initiative_id}",
        f"/ui/milestones/{late}",
    ]
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        assert 'id="alerts"' in html and "Video surveillance" in html, page
        assert "overdue (9 days)" in html and "severity-high" in html
    assert 'id="alerts"' not in client.get(f"/ui/milestones/{on_time}").get_data(as_text=True)
    as_of = client.get(f"{pages[0]}?as_of=2026-06-01").get_data(as_text=True)
    assert 'id="alerts"' not in as_of  # a past view shows the record as it was, no alerts

    tracked.command(late, "cancel", reason="merged into another milestone")
    project_read_models(services)
    OverdueScanner(services).scan()
    for page in pages:
        assert 'id="alerts"' not in client.get(page).get_data(as_text=True), page


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


def test_alerts_page_filters_and_sorts_by_days_overdue(
    client: FlaskClient, tokens: dict[str, str], services: Services
) -> None:
    tracked = Tracked(services)
    today = services.clock.today()
    tracked.milestone(today - timedelta(days=3), "Body cameras")
    tracked.milestone(today - timedelta(days=40), "Video surveillance")
    tracked.milestone(today - timedelta(days=12), "Online consultations")
    project_read_models(services)
    OverdueScanner(services).scan()
    sign_in(client, tokens["viewer"])

    def titles(query: str) -> list[str]:
        response = client.get(f"/ui/alerts{query}")
        assert response.status_code == 200, response.data
        html = response.get_data(as_text=True)
        return re.findall(r'data-alert-id="[^"]+">\s*<td><a [^>]+>([^<]+)</a>', html)

    most = ["Video surveillance", "Online consultations", "Body cameras"]
    assert titles("") == most
    assert titles("?sort=least_overdue") == most[::-1]
    assert titles(f"?agency={AGENCY_A}&programme={tracked.programme_id}&state=open") == most
    assert titles(f"?agency={AGENCY_B}") == []
    assert titles("?state=acknowledged") == []
    assert titles("?level=oversight") == []
    for bad in ("?state=sleeping", "?level=mayor", "?sort=alphabetical"):
        refused = client.get(f"/ui/alerts{bad}")
        assert refused.status_code == 422 and refused.mimetype == "text/html", bad


def test_acknowledge_from_the_page_follows_the_api_rules(
    client: FlaskClient, tokens: dict[str, str], services: Services
) -> None:
    tracked, _ = overdue_alert(services, days=5)
    [alert] = services.alerts.open_alerts()
    page = f"/ui/alerts/{alert['alert_id']}"
    post = f"{page}/acknowledge"
    head = services.store.head_position

    sign_in(client, tokens["viewer"])
    csrf = csrf_of(client.get(page).get_data(as_text=True))
    before = head()
    refused = client.post(post, data={"csrf_token": csrf, "note": "looking"})
    assert refused.status_code == 403 and "Your role (viewer) may not do this." in refused.get_data(
        True
    )
    sign_in(client, tokens["reporter_b"])
    csrf = csrf_of(client.get(page).get_data(as_text=True))
    assert client.post(post, data={"csrf_token": csrf, "note": "not ours"}).status_code == 403

    sign_in(client, tokens["reporter_a"])
    html = client.get(page).get_data(as_text=True)
    assert 'id="acknowledge"' in html
    csrf = csrf_of(html)
    assert client.post(post, data={"note": "on it"}).status_code == 403, "no CSRF field"
    assert client.post(post, data={"csrf_token": "0" * 64, "note": "on it"}).status_code == 403
    blank = client.post(post, data={"csrf_token": csrf, "note": "   "})
    assert blank.status_code == 422 and "Write a note to acknowledge" in blank.get_data(True)
    long = client.post(post, data={"csrf_token": csrf, "note": "x" * 2001})
    assert long.status_code == 422 and "longer than 2,000 characters" in long.get_data(True)
    assert head() == before, "a refused acknowledgement appended"

    done = client.post(post, data={"csrf_token": csrf, "note": "Cameras ship on Monday"})
    assert done.status_code == 303 and done.headers["Location"] == page
    assert head() == before + 1
    html = client.get(page).get_data(as_text=True)
    assert '<dd id="alert-state">acknowledged</dd>' in html and 'id="acknowledge"' not in html
    assert "Cameras ship on Monday" in html
    assert "reporter A (reporter, Prosecutor General" in html, "who acknowledged, by label"
    again = client.post(post, data={"csrf_token": csrf, "note": "again"})
    assert again.status_code == 409
    assert "cannot be acknowledged: it is acknowledged." in again.get_data(True)
    assert head() == before + 1
    api = client.post(
        f"/alerts/{alert['alert_id']}/acknowledge",
        json={"note": "again"},
        headers=bearer(tokens["reporter_a"]),
    )
    assert api.status_code == 409, "the API refuses it the same way"
    missing = client.post(f"/ui/alerts/{uuid.uuid4()}/acknowledge", data={"csrf_token": csrf})
    assert missing.status_code == 404 and missing.mimetype == "text/html"


def test_alert_page_shows_history_and_deliveries(
    client: FlaskClient, tokens: dict[str, str], services: Services
) -> None:
    subscribed = client.post(
        "/subscriptions",
        headers=bearer(tokens["admin"]),
        json={"channel": "email", "address": "oversight@example.org"},
    )
    assert subscribed.status_code == 201
    _, milestone = overdue_alert(services, days=5)
    Notifier(services).fan_out()
    [alert] = services.alerts.open_alerts()
    sign_in(client, tokens["overseer"])
    page = f"/ui/alerts/{alert['alert_id']}"
    html = client.get(page).get_data(as_text=True)
    history = html[html.index('id="history"') :]
    assert 'data-event-type="AlertRaised"' in history
    assert "alert scanner (system)" in history and "no longer registered" not in history
    deliveries = html[html.index('id="deliveries"') :]
    assert deliveries.count("data-delivery-id=") == 1 and "email" in deliveries
    assert "Alert raised" in deliveries and "pending" in deliveries

    services.clock.advance(timedelta(hours=services.config.alert_escalate_after_hours + 1))  # type: ignore[attr-defined]
    OverdueScanner(services).scan()
    client.post(
        f"{page}/acknowledge",
        data={"csrf_token": csrf_of(html), "note": "Supplier chased"},
    )
    Tracked(services).services.tracker.command(
        services.tokens.create("overseer", None, "closer")[1],
        milestone,
        "cancel",
        {"reason": "merged into another milestone"},
    )
    project_read_models(services)
    OverdueScanner(services).scan()
    html = client.get(page).get_data(as_text=True)
    types = re.findall(r'data-event-type="(\w+)"', html[html.index('id="history"') :])
    assert types == ["AlertRaised", "AlertEscalated", "AlertAcknowledged", "AlertResolved"]
    assert "to initiative lead (from owner agency)" in html
    assert 'id="alert-state">resolved' in html and "merged into another milestone" not in html


def test_agency_list_breadcrumb_names_and_token_labels(
    client: FlaskClient, tokens: dict[str, str], services: Services
) -> None:
    tracked = Tracked(services)
    late = tracked.milestone(services.clock.today() - timedelta(days=4), "Video surveillance")
    tracked.command(late, "start")
    project_read_models(services)
    sign_in(client, tokens["viewer"])

    agencies = client.get("/ui/agencies/")
    assert agencies.status_code == 200
    html = agencies.get_data(as_text=True)
    assert f'data-agency="{AGENCY_A}"' in html.replace("&#39;", "'")
    assert "/ui/agencies/Prosecutor%20General" in html

    initiative = client.get(f"/ui/initiatives/{tracked.initiative_id}").get_data(as_text=True)
    crumbs = initiative[initiative.index('aria-label="Breadcrumb"') :].split("</nav>")[0]
    assert ">Army reform 2026</a>" in crumbs and ">programme<" not in crumbs
    milestone = client.get(f"/ui/milestones/{late}").get_data(as_text=True)
    crumbs = milestone[milestone.index('aria-label="Breadcrumb"') :].split("</nav>")[0]
    assert ">Army reform 2026</a>" in crumbs and ">Law and Order in the Army</a>" in crumbs
    timeline = milestone[milestone.index('class="timeline"') :]
    assert "reporter (reporter, Prosecutor General" in timeline.replace("&#39;", "'")
    assert tracked.reporter.id not in timeline, "a token id where its label belongs"


def test_unknown_ui_addresses_get_an_html_page(client: FlaskClient, tokens: dict[str, str]) -> None:
    for path in ("/ui/alerts/nope", "/ui/nothing/here", "/ui/programmes/not-a-uuid"):
        response = client.get(path)
        assert response.status_code == 404 and response.mimetype == "text/html", path
        assert "There is no page at this address." in response.get_data(as_text=True)
    assert client.get("/no-such-api").mimetype == "application/problem+json"
