"""Dashboard JSON for the demo programme, against figures worked out by hand.

The demo is loaded on 2026-11-25 (the frozen clock); its history starts 250 days earlier,
on 2026-03-20, and due dates are relative to the day it is loaded:
  Law and Order in the Army (Prosecutor General's Office)
    Body cameras ............ due -12, in progress 60%       -> 12 days overdue: amber
    Video surveillance ...... due -30, verified              -> green
    Quarterly inspections ... due +100, planned              -> green
  Digital Prevention (Prosecutor General's Office)
    Online channel .......... due +10, in progress 45%, progress today -> due soon, green
    Contacts posted ......... due -3, planned                -> 3 days overdue: amber
    Commission recording .... (Ministry of Defence) due -5, rescheduled to +60, 25% -> green
    Recordings digitized .... (Ministry of Defence) due +150, planned -> green
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.bootstrap import Services
from service.cli.demo_loader import load_demo
from service.dashboards.projector import Projector
from service.dashboards.queries import DashboardQueries
from tests.conftest import AGENCY_A, AGENCY_B, bearer

BODY_CAMERAS = "Body cameras for duty and guard soldiers"
CONTACTS = "Consultation channel contacts posted in every unit"
CHANNEL = "Expanded online consultation channel for conscripts"
RECORDING = "Audio and video recording of draft and medical commissions"


@pytest.fixture
def demo(app: Any, services: Services) -> dict[str, str]:
    summary = load_demo(services)
    Projector(services).catch_up()
    ids = {state.title: state.milestone_id for _initiative, state in summary.milestones}
    ids["programme"] = summary.programme_id
    return ids


def get(client: FlaskClient, token: str, path: str, **headers: str) -> Any:
    return client.get(path, headers=bearer(token, **headers))


def test_programme_dashboard_matches_hand_computed_figures(
    client: FlaskClient, tokens: dict[str, str], demo: dict[str, str], services: Services
) -> None:
    body = get(client, tokens["viewer"], f"/programmes/{demo['programme']}/dashboard").json
    head = services.store.head_position()
    assert (body["as_of_position"], body["head_position"], body["lag_events"]) == (head, head, 0)
    assert body["source"] == "read_model" and body["as_of_date"] == "2026-11-25"
    assert body["milestone_count"] == 7
    assert body["counts_by_status"] == {
        "planned": 3,
        "in_progress": 3,
        "blocked": 0,
        "reported_complete": 0,
        "verified": 1,
        "disputed": 0,
        "cancelled": 0,
    }
    assert body["percent_complete"] == round((60 + 100 + 0 + 45 + 0 + 25 + 0) / 7, 1)  # 32.9
    assert body["counts_by_rag"] == {"green": 5, "amber": 2, "red": 0}
    assert [(m["title"], m["days_overdue"]) for m in body["overdue"]] == [
        (BODY_CAMERAS, 12),
        (CONTACTS, 3),
    ]
    assert [(m["title"], m["days_until_due"]) for m in body["due_soon"]] == [(CHANNEL, 10)]
    assert body["rag"] == {
        "colour": "amber",
        "reasons": [f"{BODY_CAMERAS}: 12 days overdue", f"{CONTACTS}: 3 days overdue"],
        "more_reasons": 0,
    }
    law, digital = body["initiatives"]
    assert (law["title"], law["percent_complete"], law["overdue_count"]) == (
        "Law and Order in the Army",
        53.3,
        1,
    )
    assert (digital["title"], digital["percent_complete"], digital["due_soon_count"]) == (
        "Digital Prevention",
        17.5,
        1,
    )
    assert law["rag"]["colour"] == digital["rag"]["colour"] == "amber"


def test_initiative_dashboard_shows_planned_against_current_due_dates(
    client: FlaskClient, tokens: dict[str, str], demo: dict[str, str]
) -> None:
    programme = get(client, tokens["viewer"], f"/programmes/{demo['programme']}/dashboard").json
    digital = programme["initiatives"][1]["initiative_id"]
    body = get(client, tokens["viewer"], f"/initiatives/{digital}/dashboard").json
    rows = {row["title"]: row for row in body["milestones"]}
    recording = rows[RECORDING]
    assert (recording["planned_due_date"], recording["due_date"]) == ("2026-11-20", "2027-01-24")
    assert (recording["slip_days"], recording["replan_count"], recording["overdue"]) == (65, 1, 0)
    assert recording["rag"] == {"colour": "green", "reasons": ["on track"]}
    assert rows[CONTACTS]["rag"]["colour"] == "amber" and rows[CONTACTS]["days_overdue"] == 3
    assert rows[CHANNEL]["due_soon"] and rows[CHANNEL]["days_since_progress"] == 0
    assert body["position"] == max(row["position"] for row in body["milestones"])


def test_agency_scorecards(
    client: FlaskClient, tokens: dict[str, str], demo: dict[str, str]
) -> None:
    pgo = get(client, tokens["viewer"], f"/agencies/{AGENCY_A}/scorecard").json
    # Video surveillance was claimed complete 33 days ago, 3 days before its baseline due
    # date: on time. Stamped with the time the demo was loaded, it would read late.
    assert (pgo["milestone_count"], pgo["completed_count"], pgo["completed_on_time"]) == (5, 1, 1)
    assert pgo["on_time_rate"] == 1.0 and pgo["overdue_count"] == 2
    assert pgo["deliveries"] == [
        {
            "milestone_id": demo["Video surveillance in units"],
            "title": "Video surveillance in units",
            "status": "verified",
            "planned_due_date": "2026-10-26",
            "completed_on": "2026-10-23",
            "days_late": -3,
            "on_time": True,
        }
    ]
    assert pgo["counts_by_rag"] == {"green": 3, "amber": 2, "red": 0}
    assert pgo["percent_complete"] == round((100 + 60 + 0 + 45 + 0) / 5, 1)
    assert (pgo["verified_count"], pgo["reported_count"], pgo["verified_share"]) == (1, 1, 1.0)
    mod = get(client, tokens["viewer"], f"/agencies/{AGENCY_B}/scorecard").json
    assert (mod["milestone_count"], mod["overdue_count"], mod["slip_days_total"]) == (2, 0, 65)
    assert mod["on_time_rate"] is None and mod["rag"]["colour"] == "green"
    missing = get(client, tokens["viewer"], "/agencies/Nobody/scorecard")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_colours_follow_the_clock_without_reprojecting(
    client: FlaskClient, tokens: dict[str, str], demo: dict[str, str], services: Services
) -> None:
    services.clock.advance(timedelta(days=25))  # type: ignore[attr-defined]
    body = get(client, tokens["viewer"], f"/programmes/{demo['programme']}/dashboard").json
    assert body["rag"]["colour"] == "red"
    assert body["rag"]["reasons"] == [f"{BODY_CAMERAS}: 37 days overdue (more than 30)"]
    assert [m["title"] for m in body["overdue"]] == [BODY_CAMERAS, CONTACTS, CHANNEL]
    assert body["lag_events"] == 0


def test_lag_and_etag(
    client: FlaskClient, tokens: dict[str, str], demo: dict[str, str], services: Services
) -> None:
    path = f"/programmes/{demo['programme']}/dashboard"
    first = get(client, tokens["viewer"], path)
    etag = first.headers["ETag"]
    assert get(client, tokens["viewer"], path, **{"If-None-Match": etag}).status_code == 304
    started = client.post(
        f"/milestones/{demo[CONTACTS]}/start", json={}, headers=bearer(tokens["reporter_a"])
    )
    assert started.status_code == 200
    behind = get(client, tokens["viewer"], path, **{"If-None-Match": etag})
    assert behind.status_code == 200 and behind.headers["ETag"] != etag
    assert behind.json["lag_events"] == 1
    assert behind.json["as_of_position"] == first.json["as_of_position"]
    Projector(services).catch_up()
    caught_up = get(client, tokens["viewer"], path).json
    assert caught_up["lag_events"] == 0 and caught_up["counts_by_status"]["in_progress"] == 4


def test_as_of_folds_the_log_to_the_end_of_a_past_day(
    client: FlaskClient, tokens: dict[str, str], demo: dict[str, str], services: Services
) -> None:
    services.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]
    for verb, token in (("report-complete", "reporter_a"), ("verify", "overseer")):
        done = client.post(
            f"/milestones/{demo[BODY_CAMERAS]}/{verb}", json={}, headers=bearer(tokens[token])
        )
        assert done.status_code == 200, done.json
    Projector(services).catch_up()
    path = f"/programmes/{demo['programme']}/dashboard"
    now = get(client, tokens["viewer"], path).json
    then = get(client, tokens["viewer"], path + "?as_of=2026-11-26").json
    assert now["counts_by_status"]["verified"] == 2 and now["overdue_count"] == 1
    assert then["source"] == "log" and then["as_of_date"] == "2026-11-26"
    assert then["counts_by_status"]["verified"] == 1
    assert [(m["title"], m["days_overdue"]) for m in then["overdue"]] == [
        (BODY_CAMERAS, 13),
        (CONTACTS, 4),
    ]
    assert then["as_of_position"] == now["as_of_position"] - 2
    overview = get(client, tokens["viewer"], "/dashboard?as_of=2026-11-26").json
    assert overview["programmes"][0]["counts_by_status"] == then["counts_by_status"]
    # The day before the demo's history starts, there was no programme.
    assert get(client, tokens["viewer"], path + "?as_of=2026-03-19").status_code == 404
    ahead = get(client, tokens["viewer"], path + "?as_of=2026-12-28").json  # a month ahead
    assert (ahead["source"], ahead["as_of_date"], ahead["lag_events"]) == (
        "read_model",
        "2026-12-28",
        0,
    )
    assert ahead["rag"]["reasons"] == [f"{CONTACTS}: 36 days overdue (more than 30)"]


def test_as_of_a_day_months_back_shows_that_day(
    client: FlaskClient, tokens: dict[str, str], demo: dict[str, str]
) -> None:
    """On 2026-06-01 only two milestones were planned; video surveillance had reported 30 %
    (day -180) and the body cameras had not started. Events stamped with the day the demo
    was loaded would show nothing on that date."""
    path = f"/programmes/{demo['programme']}/dashboard?as_of=2026-06-01"
    then = get(client, tokens["viewer"], path).json
    assert then["source"] == "log" and then["milestone_count"] == 2
    assert (then["counts_by_status"]["in_progress"], then["counts_by_status"]["planned"]) == (1, 1)
    assert then["percent_complete"] == 15.0 and then["overdue_count"] == 0
    pgo = get(client, tokens["viewer"], f"/agencies/{AGENCY_A}/scorecard?as_of=2026-06-01").json
    assert (pgo["milestone_count"], pgo["completed_count"]) == (2, 0)
    mod = get(client, tokens["viewer"], f"/agencies/{AGENCY_B}/scorecard?as_of=2026-06-01")
    assert mod.status_code == 404, "the Ministry of Defence had no milestone yet"


@pytest.mark.parametrize("query", ["as_of=2026-13-01", "as_of=26-11-2026", "colour=red"])
def test_bad_queries_are_problems(
    client: FlaskClient, tokens: dict[str, str], demo: dict[str, str], query: str
) -> None:
    response = get(client, tokens["viewer"], f"/dashboard?{query}")
    assert response.status_code == 422 and response.mimetype == "application/problem+json"


def test_reading_needs_a_token_unless_public(
    client: FlaskClient, demo: dict[str, str], services: Services
) -> None:
    assert client.get("/dashboard").status_code == 401
    public = services.config.with_(public_read=True)
    services.config = public
    assert client.get("/dashboard").status_code == 200


def test_an_unchanged_answer_is_sent_again_without_being_computed(
    client: FlaskClient,
    tokens: dict[str, str],
    demo: dict[str, str],
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    computed: list[object] = []
    overview = DashboardQueries.overview

    def counting(self: DashboardQueries, as_of: Any = None) -> dict[str, Any]:
        computed.append(as_of)
        return overview(self, as_of)

    monkeypatch.setattr(DashboardQueries, "overview", counting)
    first = get(client, tokens["viewer"], "/dashboard")
    again = get(client, tokens["viewer"], "/dashboard")
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert len(computed) == 1
    started = client.post(
        f"/milestones/{demo[CONTACTS]}/start", json={}, headers=bearer(tokens["reporter_a"])
    )
    assert started.status_code == 200
    Projector(services).catch_up()
    after = get(client, tokens["viewer"], "/dashboard")
    assert after.headers["ETag"] != first.headers["ETag"] and len(computed) == 2
    before = first.json["programmes"][0]["counts_by_status"]["in_progress"]
    assert after.json["programmes"][0]["counts_by_status"]["in_progress"] == before + 1


def test_a_past_days_answer_follows_the_log_head(
    client: FlaskClient, tokens: dict[str, str], demo: dict[str, str]
) -> None:
    """A past day's answer reports the head (and a late event of that day may still come
    in within the clock-skew margin): its ETag moves with every append."""
    path = f"/programmes/{demo['programme']}/dashboard?as_of=2026-11-26"
    first = get(client, tokens["viewer"], path)
    started = client.post(
        f"/milestones/{demo[CONTACTS]}/start", json={}, headers=bearer(tokens["reporter_a"])
    )
    assert started.status_code == 200
    again = get(client, tokens["viewer"], path, **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]
    assert again.json["head_position"] == first.json["head_position"] + 1


def test_a_store_filled_again_to_the_same_length_is_not_taken_for_the_old_one(
    client: FlaskClient, tokens: dict[str, str], demo: dict[str, str], services: Services
) -> None:
    """Same prefix, same number of events, same day, no check yet: the same ETag inputs
    but for the log itself, whose answers must not be sent again."""
    before = get(client, tokens["viewer"], "/dashboard")
    head = services.store.head_position()
    services.redis.flushdb()
    token = services.tokens.create("viewer", None, "desk")[0]
    again = load_demo(services)
    Projector(services).catch_up()
    assert services.store.head_position() == head
    after = get(client, token, "/dashboard")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.json["programmes"][0]["programme_id"] == again.programme_id
    assert before.json["programmes"][0]["programme_id"] == demo["programme"]
