"""Open alerts appear on the programme, initiative and milestone pages, and leave them
once resolved."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from service.alerts.scan import OverdueScanner
from service.bootstrap import Services
from tests.alerting import Tracked, project_read_models


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
