"""RT_SUMMARY_ROWS bounds every summary's lists (the JSON dashboards, the pages, the
programme and initiative downloads) and leaves its counts exact. With a limit of 1 the
demo programme (tests/integration/test_dashboards_api.py) shows one of its two overdue
milestones, and one of its two RAG reasons."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.bootstrap import Services
from service.dashboards.queries import DashboardQueries
from service.runtime.config import Config
from tests.conftest import AGENCY_A, bearer
from tests.integration.test_dashboards_api import BODY_CAMERAS, CONTACTS, demo
from tests.integration.test_dashboards_html import sign_in

__all__ = ["demo"]

ONE_OF_TWO = {
    "colour": "amber",
    "reasons": [f"{BODY_CAMERAS}: 12 days overdue"],
    "more_reasons": 1,
}


@pytest.fixture
def config(config: Config) -> Config:
    return config.with_(summary_rows=1)


def get(client: FlaskClient, token: str, path: str) -> Any:
    answer = client.get(path, headers=bearer(token))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json


def test_get_dashboard_lists_rt_summary_rows_and_counts_every_one(
    client: FlaskClient, tokens: dict[str, str], demo: dict[str, str]
) -> None:
    [programme] = get(client, tokens["viewer"], "/dashboard")["programmes"]
    assert (programme["overdue_count"], programme["due_soon_count"]) == (2, 1)
    assert [m["title"] for m in programme["overdue"]] == [BODY_CAMERAS]  # the most overdue
    assert programme["counts_by_rag"] == {"green": 5, "amber": 2, "red": 0}
    assert programme["rag"] == ONE_OF_TWO
    law, digital = programme["initiatives"]
    assert law["rag"]["more_reasons"] == digital["rag"]["more_reasons"] == 0
    assert [m["title"] for m in digital["overdue"]] == [CONTACTS]

    dashboard = get(client, tokens["viewer"], f"/programmes/{demo['programme']}/dashboard")
    assert dashboard["rag"] == ONE_OF_TWO and len(dashboard["overdue"]) == 1
    assert dashboard["overdue_count"] == 2
    card = get(client, tokens["viewer"], f"/agencies/{AGENCY_A}/scorecard")
    assert (card["overdue_count"], len(card["overdue"])) == (2, 1)
    assert card["rag"] == ONE_OF_TWO
    # The initiative dashboard still has every row.
    initiative = get(client, tokens["viewer"], f"/initiatives/{digital['initiative_id']}/dashboard")
    assert len(initiative["milestones"]) == initiative["milestone_count"] == 4


def test_the_limit_is_part_of_the_etag(services: Services) -> None:
    queries, wider = DashboardQueries(services), DashboardQueries(services)
    wider.rules = replace(wider.rules, summary_rows=2)
    assert queries.rules.summary_rows == 1
    assert queries.etag("/dashboard", None) != wider.etag("/dashboard", None)


def test_pages_say_how_many_they_show_in_the_readers_language(
    client: FlaskClient, tokens: dict[str, str], demo: dict[str, str]
) -> None:
    sign_in(client, tokens["viewer"])
    page = client.get(f"/ui/programmes/{demo['programme']}").get_data(as_text=True)
    assert '<p class="muted" data-shown="1" data-total="2">1 of 2 shown.' in page
    assert "The download below lists every one." in page
    assert 'data-more-reasons="1">and 1 more reason</li>' in page
    russian = client.get(f"/ui/agencies/{AGENCY_A}", headers={"Accept-Language": "ru"})
    text = russian.get_data(as_text=True)
    assert "Показано 1 из 2." in text and "и ещё 1 причина" in text
    as_of = client.get(f"/ui/programmes/{demo['programme']}?as_of=2026-11-24")
    assert "1 of 2 shown." in as_of.get_data(as_text=True)  # no downloads for a past day
    assert "The download below" not in as_of.get_data(as_text=True)


def test_the_programme_download_carries_the_bounded_reasons_and_the_rest_counted(
    client: FlaskClient, tokens: dict[str, str], demo: dict[str, str]
) -> None:
    answer = client.get("/dashboard/programmes.json", headers=bearer(tokens["viewer"]))
    [row] = json.loads(answer.get_data(as_text=True))
    assert (row["rag_reasons"], row["rag_more_reasons"]) == (ONE_OF_TWO["reasons"], 1)
    assert row["overdue_count"] == 2
