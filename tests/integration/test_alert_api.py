"""The alert feed, acknowledgement and the subscription admin API over HTTP."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from service.alerts.scan import OverdueScanner
from service.bootstrap import Services
from service.runtime.clock import FrozenClock
from tests.alerting import Tracked, project_read_models
from tests.conftest import AGENCY_A, bearer


def scanned(services: Services, *days_from_today: int) -> Tracked:
    tracked = Tracked(services)
    for days in days_from_today:
        tracked.milestone(services.clock.today() + timedelta(days=days))
    project_read_models(services)
    OverdueScanner(services).scan()
    return tracked


def test_feed_filters_and_pages(
    client: FlaskClient, services: Services, tokens: dict[str, str]
) -> None:
    tracked = scanned(services, -5, -1, 2, 10)
    viewer = bearer(tokens["viewer"])

    everything = client.get("/alerts", headers=viewer)
    assert everything.status_code == 200
    assert sorted(a["severity"] for a in everything.json["alerts"]) == [
        "high",
        "high",
        "low",
        "medium",
    ]
    high = client.get("/alerts?severity=high&state=open", headers=viewer).json["alerts"]
    assert [a["days_overdue"] for a in high] == [1, 5]  # newest first
    by_programme = client.get(
        f"/alerts?programme={tracked.programme_id}&agency={AGENCY_A}", headers=viewer
    ).json["alerts"]
    assert len(by_programme) == 4
    assert client.get("/alerts?agency=Nobody", headers=viewer).json["alerts"] == []

    seen, cursor = [], None
    while True:
        query = "/alerts?limit=3" + (f"&before={cursor}" if cursor else "")
        page = client.get(query, headers=viewer).json
        seen += [a["id"] for a in page["alerts"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [a["id"] for a in everything.json["alerts"]]

    one = client.get(f"/alerts/{seen[0]}", headers=viewer)
    assert one.status_code == 200 and one.json["id"] == seen[0]
    missing = client.get(f"/alerts/{tracked.programme_id}", headers=viewer)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert client.get("/alerts?severity=urgent", headers=viewer).status_code == 422
    assert client.get("/alerts").status_code == 401


def test_acknowledgement_is_scoped_needs_a_note_and_stops_escalation(
    client: FlaskClient, services: Services, tokens: dict[str, str], clock: FrozenClock
) -> None:
    scanned(services, -3)
    [alert] = client.get("/alerts", headers=bearer(tokens["viewer"])).json["alerts"]
    path = f"/alerts/{alert['id']}/acknowledge"
    head = services.store.head_position()

    assert (
        client.post(path, json={"note": "x"}, headers=bearer(tokens["viewer"])).status_code == 403
    )
    assert (
        client.post(path, json={"note": "x"}, headers=bearer(tokens["reporter_b"])).status_code
        == 403
    )
    assert (
        client.post(path, json={"note": "  "}, headers=bearer(tokens["reporter_a"])).status_code
        == 422
    )
    assert (
        client.post(
            path, json={"note": "x", "by": "me"}, headers=bearer(tokens["reporter_a"])
        ).status_code
        == 422
    )
    assert services.store.head_position() == head  # refusals append nothing

    done = client.post(
        path, json={"note": "cameras arrive Monday"}, headers=bearer(tokens["reporter_a"])
    )
    assert done.status_code == 200, done.json
    assert (done.json["state"], done.json["acknowledged_note"]) == (
        "acknowledged",
        "cameras arrive Monday",
    )
    assert done.json["acknowledged_by"]["agency"] == AGENCY_A
    again = client.post(path, json={"note": "again"}, headers=bearer(tokens["overseer"]))
    assert again.status_code == 409

    clock.advance(timedelta(hours=200))
    assert "AlertEscalated" not in OverdueScanner(services).scan().appended
    after = client.get(f"/alerts/{alert['id']}", headers=bearer(tokens["viewer"])).json
    assert (after["level"], after["escalations"]) == ("owner_agency", 0)


def test_a_retried_acknowledgement_appends_once(
    client: FlaskClient, services: Services, tokens: dict[str, str]
) -> None:
    scanned(services, -2)
    [alert] = client.get("/alerts", headers=bearer(tokens["viewer"])).json["alerts"]
    headers = bearer(tokens["overseer"], **{"Idempotency-Key": "ack-1"})
    path = f"/alerts/{alert['id']}/acknowledge"
    first = client.post(path, json={"note": "on it"}, headers=headers)
    retried = client.post(path, json={"note": "on it"}, headers=headers)
    assert first.status_code == retried.status_code == 200
    assert retried.json["state"] == "acknowledged"
    acks = [e for e in services.store.iter_log() if e.type == "AlertAcknowledged"]
    assert len(acks) == 1
