"""POST /imports on a real redis-server: a report is checked as a whole, appended in
batches or not at all, covered by one Idempotency-Key, limited to the reporter's agency,
and bad files are refused with a problem naming rows and columns, never a 500."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from openpyxl.utils.cell import get_column_letter

from service.api.app import create_app
from service.bootstrap import Services
from service.tracking.tracker import Tracker
from tests.conftest import AGENCY_A, AGENCY_B, bearer
from tests.report_files import HEADER, XLSX, csv_file, json_rows, row, xlsx

SHA = "ab" * 32
KAZAKH = "Әскери бөлімдерде бейнебақылау орнатылды: қаңтар–ақпан, ұңғыма №3"
RUSSIAN = "Нательные камеры выданы караулу; акт приёмки подписан"


@dataclass
class World:
    services: Services
    tokens: dict[str, str]
    cameras: str  # agency A, planned
    recording: str  # agency A, planned
    consultations: str  # agency B, planned
    initiative_title: str = "Law and Order in the Army"

    def log_length(self) -> int:
        return self.services.store.head_position()

    def milestone(self, milestone_id: str) -> Any:
        return self.services.tracker.load("milestone", milestone_id)


def _token(services: Services, secret: str) -> Any:
    token = services.tokens.authenticate(secret)
    assert token is not None
    return token


def build_world(services: Services, tokens: dict[str, str]) -> World:
    tracker: Tracker = services.tracker
    overseer = _token(services, tokens["overseer"])
    reporter_a = _token(services, tokens["reporter_a"])
    reporter_b = _token(services, tokens["reporter_b"])
    programme = tracker.create_programme(
        overseer, title="Army reform 2026", description="", lead_agency="Oversight"
    ).loaded.state.programme_id

    def initiative(title: str, agency: str) -> str:
        return tracker.launch_initiative(
            overseer, programme, title=title, description="", owner_agency=agency, lead="Lead"
        ).loaded.state.initiative_id

    def plan(token: Any, initiative_id: str, title: str) -> str:
        return tracker.plan_milestone(
            token,
            initiative_id,
            title=title,
            description="",
            planned_start=date(2026, 1, 15),
            due_date=date(2026, 12, 31),
        ).loaded.state.milestone_id

    law = initiative("Law and Order in the Army", AGENCY_A)
    digital = initiative("Digital Prevention", AGENCY_B)
    return World(
        services,
        tokens,
        cameras=plan(reporter_a, law, "Body cameras for guard duty"),
        recording=plan(reporter_a, law, "Бейнежазба: әскери-дәрігерлік комиссия"),
        consultations=plan(reporter_b, digital, "Online consultation channel"),
    )


@pytest.fixture
def world(services: Services, tokens: dict[str, str]) -> World:
    return build_world(services, tokens)


def upload(
    client: FlaskClient,
    token: str,
    data: Any,
    media_type: str = XLSX,
    query: str = "",
    **headers: str,
) -> Any:
    if isinstance(data, list | dict):
        data, media_type = json.dumps(data).encode(), "application/json"
    return client.post(
        "/imports" + query, data=data, content_type=media_type, headers=bearer(token, **headers)
    )


def refused(response: Any, status: int, world: World, before: int) -> list[dict[str, Any]]:
    """The answer is the problem expected, and the log did not move."""
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert world.log_length() == before, "a refused report appends nothing"
    errors: list[dict[str, Any]] = response.get_json().get("errors", [])
    return errors


# --- a report that holds ---------------------------------------------------------------


def test_a_valid_report_is_appended_per_milestone_in_file_order(
    client: FlaskClient, world: World
) -> None:
    report = xlsx(
        [
            row(world.cameras, "start", note="cameras ordered"),
            row(world.recording, "start"),
            row(world.cameras, "progress", percent=40, note=RUSSIAN),
            row(
                world.cameras,
                "evidence",
                evidence_uri="https://example.org/act.pdf",
                evidence_sha256=SHA.upper(),
                evidence_media_type="application/pdf",
                evidence_captured_at=datetime(2026, 11, 20, 10, 30),
            ),
            row(world.recording, "reschedule", new_due_date=date(2027, 3, 1), note=KAZAKH),
            row(world.cameras, "comment", note=KAZAKH),
            row(world.recording, "block", note="procurement appeal"),
        ]
    )
    before = world.log_length()
    response = upload(client, world.tokens["reporter_a"], report)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert (answer["rows"], answer["events"], answer["dry_run"]) == (7, 7, False)
    assert answer["milestones"] == [
        {
            "milestone_id": world.cameras,
            "rows": [2, 4, 5, 7],
            "first_version": 2,
            "last_version": 5,
            "events": 4,
        },
        {
            "milestone_id": world.recording,
            "rows": [3, 6, 8],
            "first_version": 2,
            "last_version": 4,
            "events": 3,
        },
    ]
    assert world.log_length() == before + 7
    cameras = world.milestone(world.cameras)
    assert (cameras.state.status, cameras.state.progress, cameras.state.evidence_count) == (
        "in_progress",
        40,
        1,
    )
    types = [e.type for e in cameras.events[1:]]
    assert types == ["MilestoneStarted", "ProgressReported", "EvidenceAttached", "CommentAdded"]
    assert cameras.events[2].payload["note"] == RUSSIAN
    assert cameras.events[3].payload["sha256"] == SHA
    assert cameras.events[3].payload["captured_at"] == "2026-11-20T10:30:00+00:00"
    assert cameras.events[4].payload["text"] == KAZAKH
    recording = world.milestone(world.recording)
    assert (recording.state.status, recording.state.due_date) == ("blocked", date(2027, 3, 1))
    assert recording.events[2].payload["reason"] == KAZAKH
    assert {e.actor["token_id"] for e in cameras.events[1:]} == {
        _token(world.services, world.tokens["reporter_a"]).id
    }


def test_rows_name_a_milestone_by_its_title_within_a_named_initiative(
    client: FlaskClient, world: World
) -> None:
    rows = [
        row(
            command="start",
            initiative="  law AND order in the army ",
            milestone="БЕЙНЕЖАЗБА: ӘСКЕРИ-ДӘРІГЕРЛІК КОМИССИЯ",
        ),
        row(
            command="progress",
            initiative="Law and Order in the Army",
            milestone="Body cameras for guard duty",
            percent=10,
        ),
    ]
    response = upload(client, world.tokens["reporter_a"], csv_file(rows), "text/csv")
    errors = response.get_json().get("errors")
    assert response.status_code == 422, response.get_json()
    assert errors == [
        {
            "row": 3,
            "column": "command",
            "problem": "cannot report progress on a milestone that is planned",
        }
    ]
    rows[1] = row(
        command="start",
        initiative="Law and Order in the Army",
        milestone="Body cameras for guard duty",
    )
    response = upload(client, world.tokens["reporter_a"], csv_file(rows), "text/csv")
    assert response.status_code == 200, response.get_json()
    assert world.milestone(world.recording).state.status == "in_progress"
    assert world.milestone(world.cameras).state.status == "in_progress"

    unknown = [
        row(command="start", initiative="No such initiative", milestone="x"),
        row(command="start", initiative="Law and Order in the Army", milestone="No such"),
    ]
    before = world.log_length()
    errors = refused(
        upload(client, world.tokens["reporter_a"], json_rows(unknown)), 422, world, before
    )
    assert [(e["row"], e["column"]) for e in errors] == [(1, "initiative"), (2, "milestone")]


def test_each_row_is_decided_on_the_state_the_earlier_rows_leave(
    client: FlaskClient, world: World
) -> None:
    rows = [
        row(world.cameras, "start"),
        row(world.cameras, "progress", percent=60),
        row(world.cameras, "complete"),
        row(world.cameras, "progress", percent=70),  # complete: refused
        row(world.cameras, "start"),  # not planned any more: refused
        row(world.recording, "progress", percent=101),
        row(world.recording, "reschedule", new_due_date="2026-12-31", note="same date"),
        row(world.recording, "block"),  # a reason is required
        row(world.recording, "unblock"),
    ]
    before = world.log_length()
    errors = refused(upload(client, world.tokens["reporter_a"], xlsx(rows)), 422, world, before)
    assert errors == [
        {
            "row": 5,
            "column": "command",
            "problem": "cannot report progress on a milestone that is reported_complete",
        },
        {
            "row": 6,
            "column": "command",
            "problem": "cannot start a milestone that is reported_complete",
        },
        {"row": 7, "column": "percent", "problem": "percent must be between 0 and 100"},
        {"row": 8, "column": "new_due_date", "problem": "new due date equals the current due date"},
        {"row": 9, "column": "note", "problem": "reason is required"},
        {"row": 10, "column": "command", "problem": "cannot unblock a milestone that is planned"},
    ]
    assert world.milestone(world.cameras).state.status == "planned"


def test_cells_are_checked_before_any_decision(client: FlaskClient, world: World) -> None:
    rows = [
        row(world.cameras, "progress"),  # percent missing
        row(world.cameras, "start", percent=10),  # percent does not apply
        row(world.cameras, "finish"),
        row("not-a-uuid", "start"),
        row(command="start"),  # no milestone named
        row(world.cameras, "progress", percent="forty"),
        row(world.cameras, "reschedule", new_due_date="31/12/2026", note="x"),
        [None] * len(HEADER),
        row(note="a note but no command"),
    ]
    before = world.log_length()
    errors = refused(upload(client, world.tokens["reporter_a"], xlsx(rows)), 422, world, before)
    assert [(e["row"], e["column"]) for e in errors] == [
        (2, "percent"),
        (3, "percent"),
        (4, "command"),
        (5, "milestone_id"),
        (6, "milestone_id"),
        (7, "percent"),
        (8, "new_due_date"),
        (10, "command"),
    ]
    assert all(e["problem"] for e in errors)
    assert "start, progress, complete" in errors[2]["problem"]
    bell = [row(world.cameras, "comment", note="bell \x07 character")]
    errors = refused(
        upload(client, world.tokens["reporter_a"], json_rows(bell)), 422, world, before
    )
    assert errors == [
        {"row": 1, "column": "note", "problem": "note contains a control character (U+0007)"}
    ]


def test_a_dry_run_reports_each_row_and_appends_nothing(client: FlaskClient, world: World) -> None:
    rows = [row(world.cameras, "start"), row(world.cameras, "progress", percent=25)]
    before = world.log_length()
    response = upload(client, world.tokens["reporter_a"], json_rows(rows), query="?dry_run=true")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["report"] == [
        {
            "row": 1,
            "milestone_id": world.cameras,
            "milestone": "Body cameras for guard duty",
            "command": "start",
            "status": "in_progress",
            "progress": 0,
        },
        {
            "row": 2,
            "milestone_id": world.cameras,
            "milestone": "Body cameras for guard duty",
            "command": "progress",
            "status": "in_progress",
            "progress": 25,
        },
    ]
    assert world.log_length() == before


# --- authorization -----------------------------------------------------------------------


def test_one_foreign_row_refuses_the_whole_report_and_the_answer_names_it(
    client: FlaskClient, world: World
) -> None:
    rows = [
        row(world.cameras, "start"),
        row(world.consultations, "start"),
        row(world.recording, "start"),
        row(world.consultations, "comment", note="ours too"),
    ]
    before = world.log_length()
    response = upload(client, world.tokens["reporter_a"], xlsx(rows))
    errors = refused(response, 403, world, before)
    assert [(e["row"], e["column"]) for e in errors] == [(3, "milestone_id"), (5, "milestone_id")]
    assert AGENCY_B in errors[0]["problem"]
    assert "rows 3, 5" in response.get_json()["detail"]

    # Roles: an overseer may comment but not report; a viewer may do neither.
    comment = [row(world.consultations, "comment", note="checked on site")]
    assert upload(client, world.tokens["overseer"], xlsx(comment)).status_code == 200
    before = world.log_length()
    refused(upload(client, world.tokens["overseer"], xlsx(rows[:1])), 403, world, before)
    refused(upload(client, world.tokens["viewer"], xlsx(comment)), 403, world, before)
    assert upload(client, "rt_wrong", xlsx(comment)).status_code == 401


# --- one Idempotency-Key per file ------------------------------------------------------


def test_a_retried_upload_appends_nothing_twice_and_answers_as_the_first(
    client: FlaskClient, world: World
) -> None:
    report = xlsx([row(world.cameras, "start"), row(world.recording, "start")])
    token = world.tokens["reporter_a"]
    first = upload(client, token, report, **{"Idempotency-Key": "november-report"})
    assert first.status_code == 200, first.get_json()
    after = world.log_length()
    again = upload(client, token, report, **{"Idempotency-Key": "november-report"})
    assert again.status_code == 200, again.get_json()
    assert again.get_json() == first.get_json()
    assert world.log_length() == after

    other = xlsx([row(world.cameras, "progress", percent=5)])
    reused = upload(client, token, other, **{"Idempotency-Key": "november-report"})
    refused_errors = refused(reused, 422, world, after)
    assert reused.get_json()["code"] == "idempotency-key-reused" and refused_errors == []
    single = client.post(
        f"/milestones/{world.cameras}/report-progress",
        json={"percent": 5},
        headers=bearer(token, **{"Idempotency-Key": "november-report"}),
    )
    assert single.status_code == 422 and world.log_length() == after


# --- bad files -------------------------------------------------------------------------


def test_files_of_another_kind_are_refused_with_415(client: FlaskClient, world: World) -> None:
    token, before = world.tokens["reporter_a"], world.log_length()
    for media_type in ("text/plain", "application/vnd.ms-excel", "application/pdf"):
        response = upload(client, token, b"milestone_id,command\n", media_type)
        refused(response, 415, world, before)
        assert ".xlsx" in response.get_json()["detail"]
    form = client.post(
        "/imports",
        data={"file": (io.BytesIO(b"\xd0\xcf\x11\xe0 old excel"), "report.xls")},
        headers=bearer(token),
    )
    refused(form, 415, world, before)


def test_a_corrupt_or_foreign_workbook_is_refused_with_422(
    client: FlaskClient, world: World
) -> None:
    token, before = world.tokens["reporter_a"], world.log_length()
    good = xlsx([row(world.cameras, "start")])
    not_a_book = io.BytesIO()
    with zipfile.ZipFile(not_a_book, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    for damaged in (b"PK\x03\x04 truncated", good[: len(good) // 2], not_a_book.getvalue(), b""):
        response = upload(client, token, damaged)
        errors = refused(response, 422, world, before)
        assert response.get_json()["code"] == "unreadable-report"
        assert errors[0]["row"] == 0 and "xlsx" in errors[0]["problem"]


def test_formulas_and_merged_cells_are_refused_where_they_are(
    client: FlaskClient, world: World
) -> None:
    token, before = world.tokens["reporter_a"], world.log_length()
    rows = [
        row(world.cameras, "start"),
        row(world.cameras, "progress", percent="=20+20"),
        row(world.recording, "comment", note="merged below"),
        row(world.recording, "comment", note=None),
    ]
    errors = refused(upload(client, token, xlsx(rows, merge=["K4:K5"])), 422, world, before)
    assert [(e["row"], e["column"]) for e in errors] == [(3, "percent"), (4, "note"), (5, "note")]
    assert "formula" in errors[0]["problem"] and "K4:K5" in errors[2]["problem"]


def test_empty_rows_are_skipped_and_rows_keep_their_sheet_numbers(
    client: FlaskClient, world: World
) -> None:
    blank = [None] * len(HEADER)
    spaces = [" "] * len(HEADER)
    rows = [blank, row(world.cameras, "start"), spaces, blank, row(world.cameras, "progress")]
    response = upload(client, world.tokens["reporter_a"], xlsx(rows))
    assert response.get_json()["errors"] == [
        {"row": 6, "column": "percent", "problem": "percent is required for progress"}
    ]
    rows[4] = row(world.cameras, "progress", percent=30.0)
    response = upload(client, world.tokens["reporter_a"], xlsx(rows))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["milestones"][0]["rows"] == [3, 6]


def test_dates_as_spreadsheet_serial_numbers_and_as_text(client: FlaskClient, world: World) -> None:
    # 46113 is 2026-04-01 in the 1900 date system; a cell without a date format shows it.
    rows = [
        row(world.cameras, "reschedule", new_due_date=46113, note="serial"),
        row(world.cameras, "reschedule", new_due_date="01.05.2026", note="dotted"),
        row(world.cameras, "reschedule", new_due_date="2026-06-01", note="iso"),
        row(world.recording, "reschedule", new_due_date="46114", note="serial as text"),
    ]
    response = upload(client, world.tokens["reporter_a"], xlsx(rows))
    assert response.status_code == 200, response.get_json()
    events = world.milestone(world.cameras).events
    assert [e.payload["new_due_date"] for e in events[1:]] == [
        "2026-04-01",
        "2026-05-01",
        "2026-06-01",
    ]
    assert world.milestone(world.recording).state.due_date == date(2026, 4, 2)
    before = world.log_length()
    bad = [row(world.cameras, "reschedule", new_due_date=46113.5, note="half a day")]
    errors = refused(upload(client, world.tokens["reporter_a"], xlsx(bad)), 422, world, before)
    assert errors[0]["column"] == "new_due_date"


def test_csv_in_utf8_with_semicolons_and_a_byte_order_mark(
    client: FlaskClient, world: World
) -> None:
    rows = [
        row(world.recording, "comment", note=KAZAKH),
        row(world.cameras, "comment", note=RUSSIAN),
    ]
    data = b"\xef\xbb\xbf" + csv_file(rows, delimiter=";")
    response = upload(client, world.tokens["reporter_a"], data, "text/csv")
    assert response.status_code == 200, response.get_json()
    assert world.milestone(world.recording).events[-1].payload["text"] == KAZAKH
    before = world.log_length()
    windows = csv_file([row(world.cameras, "comment", note=RUSSIAN)], encoding="cp1251")
    response = upload(client, world.tokens["reporter_a"], windows, "text/csv")
    errors = refused(response, 422, world, before)
    assert "UTF-8" in errors[0]["problem"]
    escape = csv_file([row(world.cameras, "comment", note="x")], header=[*HEADER[:-1], "Note\x1b"])
    errors = refused(
        upload(client, world.tokens["reporter_a"], escape, "text/csv"), 422, world, before
    )
    assert errors[0] == {
        "row": 1,
        "column": "note\x1b",
        "problem": "unknown column; see the report template",
    }


def test_a_multipart_form_and_a_json_array_carry_reports_too(
    client: FlaskClient, world: World
) -> None:
    token = world.tokens["reporter_a"]
    form = client.post(
        "/imports",
        data={"file": (io.BytesIO(xlsx([row(world.cameras, "start")])), "Report.XLSX")},
        headers=bearer(token),
    )
    assert form.status_code == 200, form.get_json()
    response = upload(client, token, [{"Milestone ID": world.recording, "Command": "start"}])
    assert response.status_code == 200, response.get_json()
    before = world.log_length()
    for body, problem in (
        ({"rows": []}, "JSON array"),
        ([["start"]], "JSON object"),
        ([{"command": "start", "milestone_id": world.cameras, "colour": "red"}], "unknown key"),
        ([{"command": ["start"], "milestone_id": world.cameras}], "string, a number or null"),
    ):
        errors = refused(upload(client, token, body), 422, world, before)
        assert problem in errors[0]["problem"], errors


def test_a_report_without_rows_is_refused(client: FlaskClient, world: World) -> None:
    before = world.log_length()
    for data in (xlsx([]), xlsx([], header=["Note"]), csv_file([])):
        media = XLSX if data.startswith(b"PK") else "text/csv"
        response = upload(client, world.tokens["reporter_a"], data, media)
        assert refused(response, 422, world, before), response.get_json()


# --- limits ----------------------------------------------------------------------------


@pytest.fixture
def small_limits(services: Services) -> Flask:
    config = services.config.with_(import_max_bytes=40_000, import_max_rows=50)
    return create_app(services=services.__class__(**{**vars(services), "config": config}))


def test_a_file_over_the_size_limit_or_the_row_limit_is_refused_with_413(
    small_limits: Flask, world: World
) -> None:
    client = small_limits.test_client()
    token, before = world.tokens["reporter_a"], world.log_length()
    comment = "a long comment " * 100
    big = csv_file([row(world.cameras, "comment", note=comment)] * 40)
    assert len(big) > 40_000
    refused(upload(client, token, big, "text/csv"), 413, world, before)
    many = xlsx([row(world.cameras, "comment", note="n")] * 51)
    response = upload(client, token, many)
    refused(response, 413, world, before)
    assert response.get_json()["code"] == "report-too-many-rows"
    fifty = xlsx([row(world.cameras, "comment", note="n")] * 50)
    assert upload(client, token, fifty).status_code == 200


def test_ten_thousand_rows_are_appended_in_one_upload(
    client: FlaskClient, world: World, services: Services
) -> None:
    rows = [row(world.cameras, "start"), row(world.recording, "start")]
    rows += [
        row(
            world.cameras if n % 2 else world.recording,
            "progress",
            percent=n % 101,
            note=f"неделя {n}",
        )
        for n in range(9_998)
    ]
    before = world.log_length()
    response = upload(client, world.tokens["reporter_a"], xlsx(rows))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["events"] == 10_000
    assert world.log_length() == before + 10_000
    assert services.store.verify().ok


# --- the template ----------------------------------------------------------------------


def test_the_template_lists_the_agencys_open_milestones_with_data_validation(
    client: FlaskClient, world: World
) -> None:
    reporter = world.tokens["reporter_a"]
    upload(
        client,
        reporter,
        xlsx([row(world.cameras, "start"), row(world.cameras, "progress", percent=35)]),
    )
    cancelled = world.services.tracker.plan_milestone(
        _token(world.services, reporter),
        world.milestone(world.cameras).state.initiative_id,
        title="Cancelled one",
        description="",
        planned_start=date(2026, 1, 15),
        due_date=date(2026, 6, 30),
    ).loaded.state.milestone_id
    world.services.tracker.command(
        _token(world.services, reporter), cancelled, "cancel", {"reason": "merged into another"}
    )
    response = client.get(
        f"/agencies/{AGENCY_A}/report-template.xlsx", headers=bearer(world.tokens["viewer"])
    )
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["Report"]
    header = [cell.value for cell in sheet[1]]
    assert header[:6] == [
        "milestone_id",
        "initiative",
        "milestone",
        "current_status",
        "current_progress",
        "current_due_date",
    ]
    assert set(HEADER) <= set(header)
    lines = [[cell.value for cell in line] for line in sheet.iter_rows(min_row=2, max_row=3)]
    assert [line[:6] for line in lines] == [
        [
            world.cameras,
            "Law and Order in the Army",
            "Body cameras for guard duty",
            "in_progress",
            35,
            datetime(2026, 12, 31),
        ],
        [
            world.recording,
            "Law and Order in the Army",
            "Бейнежазба: әскери-дәрігерлік комиссия",
            "planned",
            0,
            datetime(2026, 12, 31),
        ],
    ]
    assert len(filled(sheet)) == 2, "one row per open milestone of the agency, no other"
    assert sheet["F2"].is_date and sheet["F2"].number_format == "yyyy-mm-dd"

    column = {name: get_column_letter(i) for i, name in enumerate(header, start=1)}
    validations = {
        str(v.sqref).split(":")[0][:-1]: v for v in sheet.data_validations.dataValidation
    }
    commands = validations[column["command"]]
    assert commands.type == "list"
    assert (
        commands.formula1 == '"start,progress,complete,reschedule,evidence,block,unblock,comment"'
    )
    percent = validations[column["percent"]]
    assert (percent.type, percent.operator, percent.formula1, percent.formula2) == (
        "whole",
        "between",
        "0",
        "100",
    )
    for name in ("new_due_date", "evidence_captured_at"):
        assert validations[column[name]].type == "date"
        assert sheet[f"{column[name]}2"].number_format == "yyyy-mm-dd"
    for validation in validations.values():
        assert str(validation.sqref).endswith("203"), "the milestones and 200 spare rows"
        assert validation.showErrorMessage

    # Filled in and sent back as it is.
    sheet[f"{column['command']}2"] = "progress"
    sheet[f"{column['percent']}2"] = 55
    sheet[f"{column['command']}3"] = "reschedule"
    sheet[f"{column['new_due_date']}3"] = date(2027, 2, 1)
    sheet[f"{column['note']}3"] = "Комиссия перенесена"
    sent = io.BytesIO()
    book.save(sent)
    response = upload(client, reporter, sent.getvalue())
    assert response.status_code == 200, response.get_json()
    assert world.milestone(world.cameras).state.progress == 55
    assert world.milestone(world.recording).state.due_date == date(2027, 2, 1)


def test_the_template_needs_a_token(client: FlaskClient, world: World) -> None:
    assert client.get(f"/agencies/{AGENCY_B}/report-template.xlsx").status_code == 401
    empty = client.get(
        "/agencies/Nobody/report-template.xlsx", headers=bearer(world.tokens["viewer"])
    )
    assert empty.status_code == 200
    assert filled(load_workbook(io.BytesIO(empty.data))["Report"]) == []


def filled(sheet: Any) -> list[tuple[Any, ...]]:
    return [line for line in sheet.iter_rows(min_row=2, values_only=True) if any(line)]


def test_the_openapi_document_describes_reports_and_the_template(client: FlaskClient) -> None:
    document = client.get("/openapi.json").get_json()
    imports = document["paths"]["/imports"]["post"]
    assert set(imports["requestBody"]["content"]) == {
        XLSX,
        "text/csv",
        "application/json",
        "multipart/form-data",
    }
    assert {"200", "403", "409", "413", "415", "422"} <= set(imports["responses"])
    for status in ("403", "409", "413", "415", "422"):
        assert list(imports["responses"][status]["content"]) == ["application/problem+json"]
    assert [p["name"] for p in imports["parameters"]] == ["dry_run"]
    assert "Idempotency-Key" in imports["description"]
    template = document["paths"]["/agencies/{agency}/report-template.xlsx"]["get"]
    assert list(template["responses"]["200"]["content"]) == [XLSX]
