"""A dashboard page's body is rendered once per process for its data, day and language
(dashboard_pages._render); what changes without the data (the reader, the form token,
alerts, the latest checkpoint) is drawn around it on every request. Each test here fails
if the remembered body outlives what it shows, or carries one reader's frame to another."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from service.bootstrap import Services
from service.dashboards.projector import Projector
from service.dashboards.readmodels import ReadModels
from service.dashboards.rebuild import rebuild
from service.ledger.signing import Signer
from tests.conftest import bearer
from tests.integration.test_dashboards_api import CONTACTS, demo
from tests.integration.test_dashboards_html import sign_in, signed_in

__all__ = ["demo", "signed_in"]  # the fixtures


def _page(client: FlaskClient, path: str, **headers: str) -> str:
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, answer.data[:300]
    return answer.get_data(as_text=True)


def test_a_remembered_page_moves_with_the_log_and_the_projection(
    client: FlaskClient, tokens: dict[str, str], demo: dict[str, str], services: Services
) -> None:
    page = f"/ui/programmes/{demo['programme']}"
    sign_in(client, tokens["viewer"], page)
    head = services.store.head_position()
    assert f"As of log position {head} of {head}" in _page(client, page)
    assert f"As of log position {head} of {head}" in _page(client, page)  # remembered

    started = client.post(
        f"/milestones/{demo[CONTACTS]}/start", json={}, headers=bearer(tokens["reporter_a"])
    )
    assert started.status_code == 200
    behind = _page(client, page)
    assert f"As of log position {head} of {head + 1}" in behind
    assert "the projection is 1 event behind" in behind

    Projector(services).catch_up()
    caught_up = _page(client, page)
    assert f"As of log position {head + 1} of {head + 1}" in caught_up
    assert "behind" not in caught_up


def test_the_frame_is_each_readers_own(
    app: Flask, client: FlaskClient, tokens: dict[str, str], demo: dict[str, str]
) -> None:
    page = f"/ui/programmes/{demo['programme']}"
    sign_in(client, tokens["viewer"], page)
    other = app.test_client()
    sign_in(other, tokens["overseer"], page)
    seen, overseen = _page(client, page), _page(other, page)
    assert "signed in as viewer" in seen and "Report upload" not in seen
    assert "signed in as overseer" in overseen and "Report upload" in overseen
    forms = [re.search(r'name="csrf_token" value="(\w+)"', html) for html in (seen, overseen)]
    assert all(forms) and forms[0].group(1) != forms[1].group(1)  # type: ignore[union-attr]
    # The same data and day: the bodies are the same text.
    assert seen[seen.index("<main") :] == overseen[overseen.index("<main") :]


def test_each_language_has_its_own_body(signed_in: FlaskClient, demo: dict[str, str]) -> None:
    page = f"/ui/programmes/{demo['programme']}"
    english = _page(signed_in, page)
    russian = _page(signed_in, page, **{"Accept-Language": "ru"})
    assert "<h2>Initiatives</h2>" in english and "<h2>Initiatives</h2>" not in russian
    assert "<h2>Инициативы</h2>" in russian
    assert "<h2>Initiatives</h2>" in _page(signed_in, page)


def test_a_new_checkpoint_shows_on_a_remembered_overview(
    signed_in: FlaskClient, demo: dict[str, str], services: Services
) -> None:
    assert "No checkpoint is signed yet." in _page(signed_in, "/ui/")
    store = services.store
    store.sealer.seal_all()
    store.tree.grow_all()
    issued: Any = store.checkpoints.issue(Signer.generate("test.example/log"), services.clock.now())
    assert issued is not None
    overview = _page(signed_in, "/ui/")
    assert "No checkpoint is signed yet." not in overview
    assert f"first {issued.size} events of its log" in overview


def test_a_rebuild_is_seen_by_a_remembered_page(
    signed_in: FlaskClient, demo: dict[str, str], services: Services
) -> None:
    """A rebuild moves no log position, only the read models' generations: the page
    remembered from the old generation must not outlive the switch."""
    programme, page = demo["programme"], f"/ui/programmes/{demo['programme']}"
    records = ReadModels(services.redis, services.keys).layout.records("programmes")
    altered = json.loads(services.redis.hget(records, programme) or "{}")
    altered["title"] = "Altered in place"
    services.redis.hset(records, programme, json.dumps(altered))
    assert "<h1>Altered in place</h1>" in _page(signed_in, page)
    rebuild(services, cleanup_delay=0)
    assert "<h1>Army reform 2026</h1>" in _page(signed_in, page)
