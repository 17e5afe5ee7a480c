"""The report upload page: a signed-in reporter uploads, reads the per-row check (nothing
appended), and confirms once; the forms carry the CSRF field; a second confirmation
appends nothing; a refused report shows its rows and appends nothing."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from tests.integration.test_api_imports import KAZAKH, World, build_world
from tests.integration.test_dashboards_html import sign_in
from tests.report_files import XLSX, csv_file, row, xlsx


@pytest.fixture
def world(services: Any, tokens: dict[str, str]) -> World:
    return build_world(services, tokens)


def csrf(client: FlaskClient) -> str:
    page = client.get("/ui/reports/")
    found = re.search(rb'name="csrf_token" value="([0-9a-f]{64})"', page.data)
    assert found is not None
    return found.group(1).decode()


def check(client: FlaskClient, data: bytes, name: str, token: str | None = None) -> Any:
    form = {"file": (io.BytesIO(data), name), "csrf_token": token or csrf(client)}
    return client.post("/ui/reports/check", data=form, content_type="multipart/form-data")


def digest_of(page: Any) -> str:
    found = re.search(rb'name="digest" value="([0-9a-f]{64})"', page.data)
    assert found is not None, page.get_data(as_text=True)
    return found.group(1).decode()


def test_upload_check_and_confirm_once(client: FlaskClient, world: World) -> None:
    assert client.get("/ui/reports/").status_code == 302, "signed out: to the sign-in form"
    sign_in(client, world.tokens["reporter_a"])
    overview = client.get("/ui/").get_data(as_text=True)
    assert 'href="/ui/reports/"' in overview, "the navigation links the upload page"

    report = xlsx(
        [row(world.cameras, "start"), row(world.cameras, "progress", percent=45, note=KAZAKH)]
    )
    before = world.log_length()
    checked = check(client, report, "November.xlsx")
    assert checked.status_code == 200
    text = checked.get_data(as_text=True)
    assert "every row is valid" in text and "Body cameras for guard duty" in text
    assert "45%" in text and "in progress" in text
    assert world.log_length() == before, "checking appends nothing"

    form = {"csrf_token": csrf(client), "digest": digest_of(checked)}
    confirmed = client.post("/ui/reports/confirm", data=form)
    assert confirmed.status_code == 200
    assert "Report appended" in confirmed.get_data(as_text=True)
    assert world.log_length() == before + 2
    assert world.milestone(world.cameras).events[-1].payload["note"] == KAZAKH

    twice = client.post("/ui/reports/confirm", data=form)  # a double click, or a reload
    assert twice.status_code == 200
    assert "already appended" in twice.get_data(as_text=True)
    assert world.log_length() == before + 2


def test_forms_need_the_csrf_field_and_a_sign_in(client: FlaskClient, world: World) -> None:
    report = xlsx([row(world.cameras, "start")])
    before = world.log_length()
    assert check(client, report, "r.xlsx", token="0" * 64).status_code == 403
    sign_in(client, world.tokens["reporter_a"])
    assert check(client, report, "r.xlsx", token="0" * 64).status_code == 403
    digest = digest_of(check(client, report, "r.xlsx"))
    forged = client.post("/ui/reports/confirm", data={"digest": digest, "csrf_token": "1" * 64})
    assert forged.status_code == 403
    assert world.log_length() == before

    # Another reader cannot confirm an upload that is not theirs.
    other = world.services.tokens.create("reporter", "Prosecutor General's Office", "other")[0]
    sign_in(client, other)
    foreign = client.post(
        "/ui/reports/confirm", data={"digest": digest, "csrf_token": csrf(client)}
    )
    assert foreign.status_code == 410
    assert world.log_length() == before


def test_refused_reports_show_their_rows_and_append_nothing(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, world.tokens["reporter_a"])
    before = world.log_length()
    foreign = check(
        client,
        csv_file([row(world.cameras, "start"), row(world.consultations, "start")]),
        "mixed.csv",
    )
    assert foreign.status_code == 403
    page = foreign.get_data(as_text=True)
    assert "was not appended" in page and "Ministry of Defence" in page
    assert 'name="digest"' not in page, "nothing to confirm"

    invalid = check(client, xlsx([row(world.cameras, "progress", percent=10)]), "bad.xlsx")
    assert invalid.status_code == 422
    assert "cannot report progress on a milestone that is planned" in invalid.get_data(as_text=True)
    lone = b'[{"milestone_id": "%s", "command": "comment", "note": "\\ud800"}]'
    for data, name, status in (
        (b"%PDF-1.7", "report.pdf", 415),
        (b"PK\x03\x04broken", "report.xlsx", 422),
        # A file is not the API's body: the page reads its JSON as strictly.
        (lone % world.cameras.encode(), "report.json", 422),
        (b'[{"\\udfff": 1}]', "report.json", 422),
        (b'[{"command": "progress", "percent": NaN}]', "report.json", 422),
        (b"[" * 100_000, "report.json", 422),
    ):
        assert check(client, data, name).status_code == status
    gone = client.post("/ui/reports/confirm", data={"digest": "f" * 64, "csrf_token": csrf(client)})
    assert gone.status_code == 410
    assert world.log_length() == before


def test_the_page_offers_the_agency_template(client: FlaskClient, world: World) -> None:
    sign_in(client, world.tokens["reporter_b"])
    assert 'href="/ui/reports/template.xlsx"' in client.get("/ui/reports/").get_data(as_text=True)
    response = client.get("/ui/reports/template.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    sheet = load_workbook(io.BytesIO(response.data))["Report"]
    assert sheet["A2"].value == world.consultations and sheet["A3"].value is None

    sign_in(client, world.tokens["overseer"])
    assert client.get("/ui/reports/template.xlsx").status_code == 422, "no agency named"
    named = client.get("/ui/reports/template.xlsx?agency=Ministry of Defence")
    assert load_workbook(io.BytesIO(named.data))["Report"]["A2"].value == world.consultations
