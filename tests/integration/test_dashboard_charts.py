"""The charts on the demo's pages: accessible SVG drawn on the server (a title, a
description, a table of the same numbers), no script and nothing loaded from elsewhere,
and as-of pages chart the day asked for."""

from __future__ import annotations

import re
from urllib.parse import quote

from flask.testing import FlaskClient

from service.access.policy import TokenRecord
from service.bootstrap import Services
from service.cli.demo_data import MOD, PGO
from service.dashboards.projector import Projector
from tests.integration.test_dashboards_api import BODY_CAMERAS, RECORDING, demo
from tests.integration.test_dashboards_html import signed_in

__all__ = ["demo", "signed_in"]  # fixtures

SVG = re.compile(
    r"<svg class=\"chart-svg\" data-chart=\"([a-z-]+)\" role=\"img\" (.*?)</svg>", re.S
)


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def charts(html: str) -> dict[str, str]:
    found = {name: body for name, body in SVG.findall(html)}
    for name, body in found.items():
        labelled = re.match(r'aria-labelledby="(\S+) (\S+)"', body)
        assert labelled, f"{name} has no accessible name"
        title, desc = labelled.groups()
        assert f'<title id="{title}">' in body and f'<desc id="{desc}">' in body, name
    return found


def rows(html: str, row_class: str) -> list[str]:
    return re.findall(rf'<tr class="{row_class}" data-[a-z-]+="([^"]+)"', html)


def test_pages_have_no_script_and_load_nothing_from_elsewhere(
    signed_in: FlaskClient, demo: dict[str, str]
) -> None:
    programme = page(signed_in, f"/ui/programmes/{demo['programme']}")
    agency = page(signed_in, f"/ui/agencies/{quote(PGO)}")
    for html in (programme, agency):
        assert "<script" not in html.lower()
        assert not re.search(r'(src|href)="(https?:)?//', html), "an outside resource"


def test_initiative_timeline_has_a_bar_and_a_row_per_milestone(
    signed_in: FlaskClient, demo: dict[str, str]
) -> None:
    html = page(signed_in, f"/ui/programmes/{demo['programme']}")
    digital = re.findall(r'data-initiative-id="([0-9a-f-]+)"', html)[1]
    html = page(signed_in, f"/ui/initiatives/{digital}")
    timeline = charts(html)["timeline"]
    bars = re.findall(
        r'<g class="gantt-bar" data-milestone-id="([^"]+)" data-rag="(\w+)"', timeline
    )
    table = rows(html, "timeline-row")
    assert len(bars) == len(table) == 4 and [b[0] for b in bars] == table
    slipped = re.findall(r'data-milestone-id="([^"]+)"[^>]*data-slip-days="65"', timeline)
    assert slipped == [demo[RECORDING]]
    assert timeline.count('<rect class="slip"') == 1
    assert "today 2026-11-25" in timeline
    row = html[html.index(f'<tr class="timeline-row" data-milestone-id="{demo[RECORDING]}"') :]
    row = row[: row.index("</tr>")]
    assert "2026-11-20" in row and "2027-01-24" in row and "+65 d" in row


def test_programme_trend_has_a_column_and_a_row_per_week(
    signed_in: FlaskClient, demo: dict[str, str]
) -> None:
    html = page(signed_in, f"/ui/programmes/{demo['programme']}")
    drawn = charts(html)
    assert set(drawn) == {"percent-trend", "rag-trend"}
    weeks = re.findall(r'<g class="week-bar" data-day="([\d-]+)"', drawn["rag-trend"])
    points = drawn["percent-trend"].count('<circle class="percent-point"')
    table = rows(html, "week-row")
    assert len(weeks) == points == len(table) == 26
    assert table == weeks[::-1] and weeks[-1] == "2026-11-25" and weeks[0] == "2026-06-07"
    newest = html[html.index('<tr class="week-row" data-day="2026-11-25"') :]
    cells = re.findall(r'<td class="num">([^<]*)</td>', newest[: newest.index("</tr>")])
    assert cells == ["32.9%", "0", "2", "5", "7"]  # the dashboard's own figures today


def test_agency_page_charts_on_time_delivery_and_its_trend(
    signed_in: FlaskClient, demo: dict[str, str]
) -> None:
    html = page(signed_in, f"/ui/agencies/{quote(PGO)}")
    drawn = charts(html)
    assert set(drawn) == {"on-time", "percent-trend", "rag-trend"}
    bars = re.findall(r'<g class="delivery-bar" data-milestone-id="([^"]+)"', drawn["on-time"])
    assert bars == rows(html, "delivery-row") and len(bars) == 1
    assert 'data-on-time="yes"' in drawn["on-time"] and "3 days early" in drawn["on-time"]
    assert "1 of 1 completed milestones were claimed complete on or before" in drawn["on-time"]
    assert len(rows(html, "week-row")) == 26

    ministry = page(signed_in, f"/ui/agencies/{quote(MOD)}")
    assert len(rows(ministry, "week-row")) == 11, "weeks since its first milestone"
    assert "No milestone has been completed yet." in charts(ministry)["on-time"]


def test_as_of_pages_chart_that_day(signed_in: FlaskClient, demo: dict[str, str]) -> None:
    html = page(signed_in, f"/ui/programmes/{demo['programme']}?as_of=2026-06-01")
    weeks = rows(html, "week-row")
    # Created on 2026-03-20: the weeks ending Sunday 2026-03-22 ... 2026-05-31, and the day.
    assert weeks[0] == "2026-06-01" and weeks[-1] == "2026-03-22" and len(weeks) == 12
    programme = page(signed_in, f"/ui/programmes/{demo['programme']}")
    law = re.findall(r'data-initiative-id="([0-9a-f-]+)"', programme)[0]
    then = page(signed_in, f"/ui/initiatives/{law}?as_of=2026-06-01")
    timeline = charts(then)["timeline"]
    assert "as of 2026-06-01" in timeline
    assert timeline.count('class="gantt-bar"') == 2, "the inspections were planned in November"
    assert demo[BODY_CAMERAS] in timeline


def test_a_programme_without_milestones_still_draws(
    signed_in: FlaskClient, services: Services
) -> None:
    desk = TokenRecord("t-1", "overseer", None, "desk", "2026-11-25T09:00:00Z")
    created = services.tracker.create_programme(
        desk, title="Empty", description="", lead_agency=PGO
    )
    programme_id = created.loaded.state.programme_id
    launched = services.tracker.launch_initiative(
        desk, programme_id, title="Nothing planned", description="", owner_agency=PGO, lead=""
    )
    Projector(services).catch_up()
    html = page(signed_in, f"/ui/initiatives/{launched.loaded.state.initiative_id}")
    assert "No milestones." in charts(html)["timeline"] and not rows(html, "timeline-row")
    html = page(signed_in, f"/ui/programmes/{programme_id}")
    assert len(rows(html, "week-row")) == 1  # created today: one week, no milestones
    assert "Percent complete at the end of 1 week: no milestones" in html
