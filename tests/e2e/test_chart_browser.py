"""The charts in real Chromium: one bar per milestone, one column and one table row per
week, one bar per completed milestone; each chart an image with a name a screen reader
announces, drawn and readable at laptop and phone widths."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, sync_playwright

from service.bootstrap import Services
from service.cli.demo_data import PGO
from service.cli.demo_loader import load_demo
from service.dashboards.projector import Projector
from tests.e2e.test_dashboard_browser import ARGS, CHROMIUM


def drawn_width(page: Page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not drawn"
    return float(box["width"])


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, "the page scrolls sideways"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="apt-get install chromium")
def test_charts_draw_a_shape_per_milestone_week_and_delivery(
    served: str, services: Services, tokens: dict[str, str], tmp_path: Path
) -> None:
    summary = load_demo(services)
    Projector(services).catch_up()
    law_and_order = next(
        state.initiative_id
        for initiative, state in summary.milestones
        if initiative == "Law and Order in the Army"
    )

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            start = f"{served}/ui/initiatives/{law_and_order}"
            page.goto(start, timeout=60_000)
            page.fill("#token", tokens["viewer"])
            page.click("button[type=submit]")
            page.wait_for_url(start, timeout=60_000)

            timeline = page.get_by_role("img", name="Milestone timeline", exact=False)
            assert timeline.count() == 1
            assert timeline.locator("g.gantt-bar").count() == 3
            assert page.locator("#timeline-table tbody tr").count() == 3
            assert drawn_width(page, "g.gantt-bar rect.planned") > 20
            assert timeline.locator("g.today line").count() == 1
            page.screenshot(path=str(tmp_path / "initiative-1440.png"), full_page=True)

            page.goto(f"{served}/ui/programmes/{summary.programme_id}", timeout=60_000)
            rag = page.get_by_role("img", name="Milestones by RAG colour, week by week")
            assert rag.locator("g.week-bar").count() == 26
            assert rag.locator("g.week-bar rect").count() >= 26  # every week had milestones
            percent = page.get_by_role("img", name="Percent complete, week by week")
            assert percent.locator("circle.percent-point").count() == 26
            rows = page.locator("#trend-table tbody tr.week-row")
            assert rows.count() == 26 and not rows.first.is_visible()  # folded away
            page.click("details.chart-numbers summary")
            assert rows.first.is_visible() and rows.last.is_visible()
            page.screenshot(path=str(tmp_path / "programme-1440.png"), full_page=True)

            page.goto(f"{served}/ui/agencies/{quote(PGO)}", timeout=60_000)
            on_time = page.get_by_role("img", name="On-time delivery", exact=False)
            assert on_time.locator("g.delivery-bar").count() == 1
            assert page.locator("#on-time-table tbody tr.delivery-row").count() == 1

            page.set_viewport_size({"width": 360, "height": 800})
            for path in (
                f"/ui/initiatives/{law_and_order}",
                f"/ui/programmes/{summary.programme_id}",
                f"/ui/agencies/{quote(PGO)}",
            ):
                page.goto(f"{served}{path}", timeout=60_000)
                no_sideways_scroll(page)
                assert drawn_width(page, "svg.chart-svg") > 300, "a chart shrank to nothing"
            page.screenshot(path=str(tmp_path / "agency-360.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "programme-1440.png").stat().st_size > 10_000
