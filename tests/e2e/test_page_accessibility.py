"""Every page of the demo in real Chromium: axe-core finds no serious or critical
violation, every link and form control is reached with the Tab key and shows where the
focus is, and the page does not scroll sideways at 360 px nor at 1440 px (screenshots of
both are taken). An alert is acknowledged with the keyboard alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, sync_playwright

from service.alerts.scan import OverdueScanner
from service.bootstrap import Services
from service.cli.demo_loader import load_demo
from service.dashboards.projector import Projector
from service.dashboards.queries import DashboardQueries
from service.runtime.config import Config
from tests.e2e.test_dashboard_browser import ARGS, CHROMIUM

WIDTHS = (360, 1440)
BLOCKING = {"serious", "critical"}
FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex='0']"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="apt-get install chromium")


@pytest.fixture
def config(config: Config) -> Config:
    """Summaries of one row, so that the pages show their cut lists ("1 of 3 shown.") to
    axe and the keyboard too."""
    return config.with_(summary_rows=1)


@pytest.fixture
def pages(services: Services) -> dict[str, str]:
    """One address of every kind of page, on the demo 25 days on (alerts raised)."""
    load_demo(services)
    Projector(services).catch_up()
    services.clock.advance(timedelta(days=25))  # type: ignore[attr-defined]
    OverdueScanner(services).scan()
    queries = DashboardQueries(services)
    programme = queries.overview()["programmes"][0]
    found = queries.programme(programme["programme_id"])
    initiative = found["initiatives"][0]
    milestone = found["overdue"][0]
    assert found["overdue_count"] > len(found["overdue"])  # the list is cut
    alert = services.alerts.open_alerts()[0]
    return {
        "programmes": "/ui/",
        "programme": f"/ui/programmes/{programme['programme_id']}",
        "initiative": f"/ui/initiatives/{initiative['initiative_id']}",
        "milestone": f"/ui/milestones/{milestone['milestone_id']}",
        "agencies": "/ui/agencies/",
        "scorecard": f"/ui/agencies/{initiative['owner_agency']}",
        "alerts": "/ui/alerts",
        "alert": f"/ui/alerts/{alert['alert_id']}",
        "not found": "/ui/no-such-page",
        "bad date": f"/ui/programmes/{programme['programme_id']}?as_of=yesterday",
    }


@pytest.fixture
def browser_page(served: str, tokens: dict[str, str]) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.set_default_timeout(60_000)
            page.goto(f"{served}/ui/login")
            check_page(page, "sign in", None)  # before signing in: the form itself
            page.fill("#token", tokens["overseer"])
            page.click("button[type=submit]")
            page.wait_for_url(f"{served}/ui/")
            yield page
        finally:
            browser.close()


def blocking_violations(page: Page) -> list[str]:
    results: dict[str, Any] = Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]


def sideways_overflow(page: Page) -> int:
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def tab_through(page: Page) -> tuple[set[str], list[str]]:
    """Press Tab through the page: the focusable elements reached, and those reached that
    showed no focus indicator."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    expected = page.eval_on_selector_all(FOCUSABLE, "els => els.length")
    reached: set[str] = set()
    unmarked: list[str] = []
    for _ in range(expected + 3):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
              const e = document.activeElement;
              if (!e || e === document.body) return null;
              if (!e.dataset.tabMark) e.dataset.tabMark = String(Math.random());
              const s = getComputedStyle(e);
              const marked = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                             || s.boxShadow !== 'none';
              return [e.dataset.tabMark, marked, e.outerHTML.slice(0, 80)];
            }"""
        )
        if focused is None:
            continue
        mark, marked, html = focused
        reached.add(mark)
        if not marked:
            unmarked.append(html)
    return reached, unmarked


def check_page(page: Page, name: str, shots: Path | None) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert sideways_overflow(page) <= 0, f"{name} scrolls sideways at {width} px"
        if shots is not None:
            shot = shots / f"{name.replace(' ', '-')}-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
        assert blocking_violations(page) == [], f"{name} at {width} px"
    page.set_viewport_size({"width": 1440, "height": 900})
    reached, unmarked = tab_through(page)
    # What is shown must be reached; a link inside a closed <details> is not shown until
    # its summary (which is reached) opens it.
    missing = page.eval_on_selector_all(
        FOCUSABLE,
        "els => els.filter(e => !e.dataset.tabMark && e.checkVisibility())"
        ".map(e => e.outerHTML.slice(0, 80))",
    )
    assert missing == [], f"{name}: not reached with Tab"
    assert unmarked == [], f"{name}: focus not visible"
    assert reached


def test_every_page_passes_axe_works_by_keyboard_and_fits(
    browser_page: Page, served: str, pages: dict[str, str], tmp_path: Path
) -> None:
    for name, path in pages.items():
        response = browser_page.goto(f"{served}{path}")
        assert response is not None
        expected = {"not found": 404, "bad date": 422}.get(name, 200)
        assert response.status == expected, name
        check_page(browser_page, name, tmp_path)
    shots = sorted(p.name for p in tmp_path.glob("*.png"))
    assert len(shots) == 2 * len(pages)
    assert all((tmp_path / shot).stat().st_size > 5_000 for shot in shots)


def test_an_alert_is_acknowledged_with_the_keyboard_alone(
    browser_page: Page, served: str, pages: dict[str, str]
) -> None:
    browser_page.goto(f"{served}{pages['alert']}")
    browser_page.evaluate("window.scrollTo(0, 0)")
    for _ in range(60):
        browser_page.keyboard.press("Tab")
        if browser_page.evaluate("document.activeElement.id") == "note":
            break
    else:
        pytest.fail("the note field is not reached with Tab")
    browser_page.keyboard.type("Supplier chased; cameras ship Monday")
    browser_page.keyboard.press("Tab")
    assert browser_page.evaluate("document.activeElement.textContent") == "Acknowledge"
    with browser_page.expect_navigation():
        browser_page.keyboard.press("Enter")
    assert browser_page.locator("#alert-state").inner_text() == "acknowledged"
    assert "Supplier chased" in browser_page.locator("#history").inner_text()


def test_the_public_portal_passes_too(
    served: str, services: Services, pages: dict[str, str], tmp_path: Path
) -> None:
    services.config = services.config.with_(public_read=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.set_default_timeout(60_000)
            for name, path in pages.items():
                page.goto(f"{served}{path}")
                assert "public read-only view" in page.locator("header").inner_text()
                check_page(page, f"public {name}", tmp_path)
        finally:
            browser.close()
    assert len(list(tmp_path.glob("public-*.png"))) == 2 * len(pages)


def test_pages_in_russian_and_kazakh_pass_too(
    browser_page: Page, served: str, pages: dict[str, str], tmp_path: Path
) -> None:
    """The switcher is used like any link; the translated pages keep every rule (longer
    words must not push them sideways at 360 px)."""
    for language, heading in (("ru", "Программы"), ("kk", "Бағдарламалар")):
        browser_page.goto(f"{served}/ui/")
        with browser_page.expect_navigation():
            browser_page.click(f"nav.languages a[lang={language}]")
        assert browser_page.locator("h1").inner_text() == heading
        for name in ("programmes", "initiative", "scorecard", "alerts", "alert"):
            browser_page.goto(f"{served}{pages[name]}")
            assert browser_page.evaluate("document.documentElement.lang") == language
            check_page(browser_page, f"{language} {name}", tmp_path)
