"""/docs in real Chromium with every request to another host refused: Swagger UI still
renders the whole API from the app's own files."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Route, sync_playwright

from tests.e2e.test_dashboard_browser import ARGS, CHROMIUM


@pytest.mark.skipif(not CHROMIUM.exists(), reason="apt-get install chromium")
def test_swagger_ui_renders_with_no_other_host_reachable(served: str, app: Flask) -> None:
    own = urlsplit(served).netloc
    elsewhere: list[str] = []

    def only_the_app(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_the_app)
            page.goto(f"{served}/docs", timeout=60_000)
            page.wait_for_selector(".opblock", timeout=60_000)
            operations = page.locator(".opblock").count()
            title = page.locator(".info .title").inner_text()
        finally:
            browser.close()
    paths = app.test_client().get("/openapi.json").json["paths"]
    assert operations == sum(
        1 for item in paths.values() for method in item if method in ("get", "post", "delete")
    )
    assert "Reform Tracker" in title
    assert elsewhere == []
