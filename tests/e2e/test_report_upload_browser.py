"""The report upload page in real Chromium: sign in, reach the page from the navigation,
upload a workbook, read the check, and double-click Append: the rows land once."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from service.bootstrap import Services
from tests.e2e.test_dashboard_browser import ARGS, CHROMIUM
from tests.integration.test_api_imports import KAZAKH, build_world
from tests.report_files import row, xlsx


@pytest.mark.skipif(not CHROMIUM.exists(), reason="apt-get install chromium")
def test_upload_check_and_a_double_click_append_once(
    served: str, services: Services, tokens: dict[str, str], tmp_path: Path
) -> None:
    world = build_world(services, tokens)
    report = tmp_path / "November report.xlsx"
    report.write_bytes(
        xlsx(
            [
                row(world.cameras, "start"),
                row(world.cameras, "progress", percent=60, note=KAZAKH),
                row(world.recording, "comment", note="Комиссия записана полностью"),
            ]
        )
    )
    before = world.log_length()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{served}/ui/", timeout=60_000)
            page.fill("#token", tokens["reporter_a"])
            page.click("button[type=submit]")
            page.wait_for_url("**/ui/", timeout=60_000)
            page.click("text=Report upload")
            page.wait_for_url("**/ui/reports/", timeout=60_000)

            page.set_input_files("#file", str(report))
            page.click("text=Check the report")
            page.wait_for_selector("text=every row is valid", timeout=60_000)
            lines = page.locator("table tbody tr")
            assert lines.count() == 3
            assert "60%" in lines.nth(1).inner_text()
            assert world.log_length() == before, "the check appends nothing"

            page.dblclick("button:has-text('Append 3 rows')")
            page.wait_for_selector("text=3 rows, 3 events", timeout=60_000)
            page.screenshot(path=str(tmp_path / "report-appended.png"), full_page=True)
        finally:
            browser.close()
    assert world.log_length() == before + 3, "a double click appends once"
    assert world.milestone(world.cameras).events[-1].payload["note"] == KAZAKH
