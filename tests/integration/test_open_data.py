"""Open data over HTTP: every dashboard table as CSV and JSON (streamed, the same rows
both ways, the same numbers as the JSON dashboards), iCalendar feeds that follow a
reschedule, the links on the pages, the refusals, and public read mode."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar

from service.bootstrap import Services
from service.dashboards.open_data import MILESTONE_COLUMNS
from tests.alerting import Tracked, project_read_models
from tests.conftest import AGENCY_A, bearer


@pytest.fixture
def tracked(services: Services) -> Tracked:
    found = Tracked(services)
    today = services.clock.today()
    late = found.milestone(today - timedelta(days=5), title="Body cameras, guard duty")
    found.milestone(today + timedelta(days=2), title='Online "consultation" channel')
    done = found.milestone(today + timedelta(days=60), title="Video surveillance")
    found.command(late, "start")
    found.command(done, "start")
    found.command(done, "report-complete")
    found.command(done, "verify")
    project_read_models(services)
    return found


def download(client: FlaskClient, path: str, token: str | None) -> Any:
    answer = client.get(path, headers=bearer(token) if token else {})
    assert answer.status_code == 200, (path, answer.get_data(as_text=True))
    assert answer.is_streamed, f"{path} is not streamed"
    answer.get_data()  # read to the end now: the stream holds the request context
    return answer


def rows_both_ways(client: FlaskClient, path: str, token: str | None) -> list[dict[str, Any]]:
    """The table as CSV and as JSON: the same rows in the same order, checked here."""
    as_csv = download(client, f"{path}.csv", token)
    as_json = download(client, f"{path}.json", token)
    assert as_csv.mimetype == "text/csv" and as_json.mimetype == "application/json"
    table = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    rows: list[dict[str, Any]] = json.loads(as_json.get_data(as_text=True))
    assert [list(r) for r in table] == [list(r) for r in rows]  # same columns, same order
    for from_csv, from_json in zip(table, rows, strict=True):
        for column, value in from_json.items():
            assert from_csv[column] == as_cell(value), column
    return rows


def as_cell(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def test_every_table_downloads_as_csv_and_json_with_the_dashboards_numbers(
    client: FlaskClient, tokens: dict[str, str], tracked: Tracked
) -> None:
    viewer = tokens["viewer"]
    programme = f"/programmes/{tracked.programme_id}"
    dashboard = client.get(f"{programme}/dashboard", headers=bearer(viewer)).json

    [programme_row] = rows_both_ways(client, "/dashboard/programmes", viewer)
    assert programme_row["programme_id"] == tracked.programme_id
    for field in ("milestone_count", "overdue_count", "due_soon_count", "percent_complete"):
        assert programme_row[field] == dashboard[field], field
    assert programme_row["rag"] == dashboard["rag"]["colour"]
    assert programme_row["rag_reasons"] == dashboard["rag"]["reasons"]
    assert programme_row["rag_more_reasons"] == dashboard["rag"]["more_reasons"] == 0
    assert programme_row["verified_count"] == 1

    [initiative_row] = rows_both_ways(client, f"{programme}/dashboard/initiatives", viewer)
    assert initiative_row["initiative_id"] == tracked.initiative_id
    assert initiative_row["lead"] == "Deputy Prosecutor General"

    milestones = rows_both_ways(client, f"{programme}/dashboard/milestones", viewer)
    assert list(milestones[0]) == list(MILESTONE_COLUMNS)
    assert "verified_by" not in milestones[0]  # no actor identities in open data
    assert sorted(r["title"] for r in milestones) == sorted(
        [
            "Body cameras, guard duty",
            'Online "consultation" channel',
            "Video surveillance",
        ]
    )
    for path in (
        "/dashboard/milestones",
        f"/initiatives/{tracked.initiative_id}/dashboard/milestones",
        f"/agencies/{AGENCY_A}/scorecard/milestones",
    ):
        assert sorted(r["milestone_id"] for r in rows_both_ways(client, path, viewer)) == sorted(
            r["milestone_id"] for r in milestones
        )

    overdue = client.get(
        f"{programme}/dashboard/milestones.json?only=overdue", headers=bearer(viewer)
    )
    assert [r["milestone_id"] for r in overdue.json] == [
        m["milestone_id"] for m in dashboard["overdue"]
    ]
    assert overdue.json[0]["days_overdue"] == 5 and overdue.json[0]["rag"] == "amber"
    soon = client.get(f"{programme}/dashboard/milestones.csv?only=due_soon", headers=bearer(viewer))
    [row] = list(csv.DictReader(io.StringIO(soon.get_data(as_text=True))))
    assert row["title"] == 'Online "consultation" channel' and row["due_soon"] == "true"


def test_bad_download_requests_are_refused_with_problem_json(
    client: FlaskClient, tokens: dict[str, str], tracked: Tracked
) -> None:
    viewer = bearer(tokens["viewer"])
    milestones = f"/programmes/{tracked.programme_id}/dashboard/milestones"
    for path, status in (
        (f"{milestones}.csv", 401),
        (f"/programmes/{tracked.initiative_id}/dashboard/milestones.csv", 404),
        (f"/initiatives/{tracked.programme_id}/calendar.ics", 404),
        ("/agencies/Nobody/scorecard/milestones.json", 404),
        ("/agencies/Nobody/calendar.ics", 404),
        (f"{milestones}.csv?only=late", 422),
        (f"{milestones}.json?colour=red", 422),
        ("/dashboard/programmes.csv?as_of=2026-01-01", 422),
    ):
        answer = client.get(path, headers={} if status == 401 else viewer)
        assert answer.status_code == status, path
        assert answer.headers["Content-Type"] == "application/problem+json", path
    refused = client.get(f"{milestones}.csv?only=late", headers=viewer)
    assert "only" in refused.json["errors"]


def test_public_read_downloads_need_no_token_and_carry_no_actor_identity(
    client: FlaskClient, services: Services, tracked: Tracked
) -> None:
    services.config = services.config.with_(public_read=True)
    identities = {tracked.overseer.id, tracked.reporter.id, "overseer", "reporter"}
    paths = [
        "/dashboard/programmes.csv",
        "/dashboard/programmes.json",
        "/dashboard/milestones.csv",
        "/dashboard/milestones.json",
        f"/programmes/{tracked.programme_id}/dashboard/initiatives.json",
        f"/programmes/{tracked.programme_id}/calendar.ics",
        f"/agencies/{AGENCY_A}/calendar.ics",
        "/calendar.ics",
    ]
    for path in paths:
        body = download(client, path, None).get_data(as_text=True)
        assert body.strip(), path
        for identity in identities:
            assert identity not in body, (path, identity)


def calendar_of(client: FlaskClient, path: str, token: str) -> tuple[Calendar, bytes]:
    answer = download(client, path, token)
    assert answer.mimetype == "text/calendar"
    raw = answer.get_data()
    return Calendar.from_ical(raw), raw


def test_calendar_feeds_are_valid_icalendar_and_follow_a_reschedule(
    client: FlaskClient, services: Services, tokens: dict[str, str], tracked: Tracked
) -> None:
    viewer = tokens["viewer"]
    path = f"/programmes/{tracked.programme_id}/calendar.ics"
    parsed, raw = calendar_of(client, path, viewer)

    # RFC 5545 section 3.1 and 3.4: CRLF line endings, lines folded at 75 octets.
    assert raw.endswith(b"END:VCALENDAR\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert Calendar.from_ical(parsed.to_ical()) == parsed  # the parser's own round trip
    assert parsed["VERSION"] == "2.0" and parsed["PRODID"]
    assert parsed["METHOD"] == "PUBLISH" and parsed["CALSCALE"] == "GREGORIAN"
    assert parsed["X-WR-CALNAME"] == "Army reform 2026: milestone due dates"
    events = {str(e["SUMMARY"]): e for e in parsed.walk("VEVENT")}
    assert sorted(events) == [
        "Due: Body cameras, guard duty",
        'Due: Online "consultation" channel',
        "Due: Video surveillance",
    ]
    cameras = events["Due: Body cameras, guard duty"]
    uids = [str(e["UID"]) for e in events.values()]
    assert len(set(uids)) == 3
    for found in events.values():
        for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "LAST-MODIFIED"):
            assert required in found, required
        start, end = found.decoded("DTSTART"), found.decoded("DTEND")
        assert type(start) is date and end == start + timedelta(days=1)  # all day
        assert found["DTSTART"].params.get("VALUE") == "DATE"
    assert b"DTSTART;VALUE=DATE:" in raw
    due = services.clock.today() - timedelta(days=5)
    assert cameras.decoded("DTSTART") == due and cameras["SEQUENCE"] == 0

    milestone = str(cameras["UID"]).split("@")[0]
    services.clock.advance(timedelta(hours=3))  # type: ignore[attr-defined]
    later = due + timedelta(days=30)
    tracked.command(milestone, "reschedule", new_due_date=later, reason="supplier delay")
    project_read_models(services)

    moved = {str(e["UID"]): e for e in calendar_of(client, path, viewer)[0].walk("VEVENT")}
    assert sorted(moved) == sorted(uids)  # the same events, no new one
    rescheduled = moved[str(cameras["UID"])]
    assert rescheduled.decoded("DTSTART") == later
    assert rescheduled["SEQUENCE"] == 1
    assert rescheduled.decoded("LAST-MODIFIED") > cameras.decoded("LAST-MODIFIED")
    assert rescheduled.decoded("DTSTAMP") > cameras.decoded("DTSTAMP")
    assert "rescheduled 1 times" in str(rescheduled["DESCRIPTION"])
    for feed in (
        f"/initiatives/{tracked.initiative_id}/calendar.ics",
        f"/agencies/{AGENCY_A}/calendar.ics",
        "/calendar.ics",
    ):
        same = {str(e["UID"]) for e in calendar_of(client, feed, viewer)[0].walk("VEVENT")}
        assert same == set(uids), feed


def test_pages_link_their_tables_downloads_which_the_sign_in_cookie_opens(
    client: FlaskClient, tokens: dict[str, str], tracked: Tracked
) -> None:
    client.post("/ui/login", data={"token": tokens["viewer"], "next": "/ui/"})
    links_on = {  # CSV and JSON per table, and one calendar
        "/ui/": 5,
        f"/ui/programmes/{tracked.programme_id}": 9,
        f"/ui/initiatives/{tracked.initiative_id}": 3,
        f"/ui/agencies/{AGENCY_A}": 5,
    }
    for page, expected in links_on.items():
        html = client.get(page).get_data(as_text=True)
        links = [unescape(link) for link in re.findall(r'href="(/ui/data/[^"]+)"', html)]
        assert len(links) == expected, (page, links)
        for link in links:
            answer = client.get(link)
            assert answer.status_code == 200, link
            assert answer.get_data(), link
        assert sum(link.endswith(".ics") for link in links) == 1, page
    as_of = client.get(f"/ui/programmes/{tracked.programme_id}?as_of=2026-11-01")
    assert "/ui/data/" not in as_of.get_data(as_text=True)  # downloads are current data


def test_the_openapi_document_describes_every_download_with_its_media_type(
    client: FlaskClient,
) -> None:
    paths = client.get("/openapi.json").json["paths"]
    kinds = {".csv": "text/csv", ".json": "application/json", ".ics": "text/calendar"}
    downloads = {p: op for p, op in paths.items() if p.endswith(tuple(kinds))}
    assert len(downloads) == 6 * 2 + 4  # six tables, four calendars
    for path, operations in downloads.items():
        media = kinds["." + path.rsplit(".", 1)[1]]
        assert list(operations["get"]["responses"]["200"]["content"]) == [media], path
        assert operations["get"]["summary"], path
