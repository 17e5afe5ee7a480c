"""The programme page of the demo in real Chromium: sign in through the form, see the
long-overdue milestone in red, and read the page at laptop and phone widths."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from service.bootstrap import Services
from service.cli.demo_loader import load_demo
from service.dashboards.projector import Projector

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
BODY_CAMERAS = "Body cameras for duty and guard soldiers"
RED = "rgb(198, 40, 40)"  # --red in base.html


@pytest.mark.skipif(not CHROMIUM.exists(), reason="apt-get install chromium")
def test_overdue_milestone_shows_red(
    served: str, services: Services, tokens: dict[str, str], tmp_path: Path
) -> None:
    programme_id = load_demo(services).programme_id
    Projector(services).catch_up()
    # 25 days on, the body cameras are 37 days overdue: past the 30-day red line.
    services.clock.advance(timedelta(days=25))  # type: ignore[attr-defined]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{served}/ui/programmes/{programme_id}", timeout=60_000)
            page.fill("#token", tokens["viewer"])  # redirected to the sign-in form
            page.click("button[type=submit]")
            page.wait_for_url(f"**/ui/programmes/{programme_id}", timeout=60_000)

            row = page.locator("#overdue tr", has_text=BODY_CAMERAS)
            badge = row.locator(".rag")
            assert badge.get_attribute("data-rag") == "red"
            assert badge.inner_text().strip().lower() == "red"
            assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == RED
            assert page.locator("[data-programme-rag]").get_attribute("data-programme-rag") == "red"
            page.screenshot(path=str(tmp_path / "programme-laptop.png"), full_page=True)

            page.set_viewport_size({"width": 390, "height": 844})
            assert row.locator(".rag").is_visible()
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, "the page scrolls sideways on a phone"
            page.screenshot(path=str(tmp_path / "programme-phone.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "programme-laptop.png").stat().st_size > 10_000
