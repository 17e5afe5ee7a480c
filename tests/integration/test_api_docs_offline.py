"""/docs works without a network: the page and everything it loads come from the app,
from the files the pinned Swagger UI package installed, and nothing names another host."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask.testing import FlaskClient

URL = re.compile(r"""https?://[^\s"'<>()]+""")
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")


class References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.found.append(value)


def referenced(page: str) -> list[str]:
    parser = References()
    parser.feed(page)
    return parser.found


def test_docs_and_every_asset_it_loads_come_from_the_app(client: FlaskClient) -> None:
    base = "http://localhost/docs"
    answer = client.get("/docs")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert URL.findall(page) == [], "the page names another host"
    assets = referenced(page)
    assert {urlsplit(a).path.rsplit("/", 1)[-1] for a in assets} >= {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
    }
    spec = re.search(r'url: "([^"]+)"', page)
    assert spec is not None and spec.group(1) == "/openapi.json"
    for reference in [*assets, spec.group(1)]:
        url = urljoin(base, reference)
        assert urlsplit(url).netloc == "localhost", f"{reference} is not served by the app"
        fetched = client.get(urlsplit(url).path)
        assert fetched.status_code == 200, reference
        assert len(fetched.data) > 1000, reference
        if reference.endswith(".css"):
            for inner in CSS_URL.findall(fetched.get_data(as_text=True)):
                assert inner.startswith("data:"), f"{reference} loads {inner}"
    # No validator badge: Swagger UI would otherwise send the document to another host.
    assert '"validatorUrl": null' in page


def test_docs_assets_serve_only_the_package_files(client: FlaskClient) -> None:
    assert (
        client.get("/docs/assets/swagger-ui-bundle.js")
        .headers["Content-Type"]
        .startswith("text/javascript")
    )
    assert client.get("/docs/assets/no-such-file.js").status_code == 404
    assert client.get("/docs/assets/../__init__.py").status_code == 404
    assert client.get("/docs/assets/%2e%2e/__init__.py").status_code == 404
