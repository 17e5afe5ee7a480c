"""Report rows as pure functions: cells read as people type them, each row turned into a
milestone command, and rows decided in order on the state the earlier ones leave."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from service.tracking.domain import imports
from service.tracking.domain import milestone as ms
from service.tracking.domain.imports import CellError, RowError, day, moment, whole_number
from service.tracking.tracker import MILESTONE_COMMANDS

DECISIONS = {verb: decide for verb, (decide, _) in MILESTONE_COMMANDS.items()}
ID = "5f0c8a55-0000-4000-8000-000000000001"


def planned() -> ms.Milestone:
    return ms.Milestone(
        milestone_id=ID,
        initiative_id="i",
        programme_id="p",
        title="Body cameras",
        description="",
        owner_agency="PGO",
        planned_start=date(2026, 1, 15),
        planned_due_date=date(2026, 12, 31),
        due_date=date(2026, 12, 31),
    )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (date(2026, 3, 1), date(2026, 3, 1)),
        (datetime(2026, 3, 1), date(2026, 3, 1)),
        ("2026-03-01", date(2026, 3, 1)),
        (" 01.03.2026 ", date(2026, 3, 1)),
        (46082, date(2026, 3, 1)),
        (46082.0, date(2026, 3, 1)),
        ("46082", date(2026, 3, 1)),
        (61, date(1900, 3, 1)),
    ],
)
def test_dates_from_date_cells_iso_and_dotted_text_and_serial_numbers(
    cell: imports.Cell, expected: date
) -> None:
    assert day(cell) == expected


@pytest.mark.parametrize(
    "cell",
    [
        "31/12/2026",
        "2026-02-30",
        0,
        60,
        -5,
        float("inf"),
        float("nan"),
        46082.5,
        3_000_000,
        datetime(2026, 3, 1, 12),
        "x",
    ],
)
def test_what_is_not_a_date_is_refused(cell: imports.Cell) -> None:
    with pytest.raises(CellError):
        day(cell)


def test_instants_keep_their_offset_and_a_bare_time_is_utc() -> None:
    assert moment("2026-11-20T10:00:00+05:00") == "2026-11-20T10:00:00+05:00"
    assert moment(datetime(2026, 11, 20, 10)) == "2026-11-20T10:00:00+00:00"
    assert moment(datetime(2026, 11, 20, 10, tzinfo=UTC)) == "2026-11-20T10:00:00+00:00"
    assert moment("20.11.2026") == "2026-11-20T00:00:00+00:00"
    with pytest.raises(CellError):
        moment("yesterday")


@pytest.mark.parametrize(("cell", "expected"), [(40, 40), (40.0, 40), ("40", 40), (" 40 % ", 40)])
def test_percent_as_whole_numbers(cell: imports.Cell, expected: int) -> None:
    assert whole_number(cell) == expected


@pytest.mark.parametrize("cell", [40.5, "forty", "4e1", "٤٠", True, date(2026, 1, 1), "12345"])
def test_percent_that_is_not_a_whole_number_is_refused(cell: imports.Cell) -> None:
    with pytest.raises(CellError):
        whole_number(cell)


def test_headers_are_matched_as_people_write_them() -> None:
    assert imports.normalized(" Milestone ID ") == "milestone_id"
    assert imports.normalized("Evidence-SHA256") == "evidence_sha256"
    assert imports.header_errors(["milestone_id", "command", "Colour", "note", "note"]) == [
        RowError(1, "Colour", "unknown column; see the report template"),
        RowError(1, "note", "the column appears more than once"),
    ]
    assert imports.header_errors(["milestone_id"])[-1].column == "command"
    assert imports.normalized("Note\x1b[31m") == "note\x1b[31m", "reported, not refused"
    assert imports.unknown_columns([imports.normalized("Note\x1b[31m")]) == ["note\x1b[31m"]


def test_rows_become_commands_with_the_note_where_each_command_wants_it() -> None:
    parsed = imports.parse(
        [
            (2, {"milestone_id": ID, "command": "Block", "note": " procurement appeal "}),
            (3, {"milestone_id": ID, "command": "comment", "note": "Қазақша түсініктеме"}),
            (4, {"initiative": "Law", "milestone": "Cameras", "command": "progress", "percent": 5}),
            (5, {"milestone_id": None, "command": "  ", "note": None}),
        ]
    )
    assert parsed.errors == []
    assert [(r.number, r.verb, r.arguments) for r in parsed.rows] == [
        (2, "block", {"reason": "procurement appeal"}),
        (3, "comment", {"text": "Қазақша түсініктеме"}),
        (4, "report-progress", {"percent": 5, "note": ""}),
    ]
    assert (parsed.rows[2].initiative, parsed.rows[2].title) == ("Law", "Cameras")


def test_every_problem_of_a_row_is_reported() -> None:
    parsed = imports.parse(
        [(7, {"command": "evidence", "percent": 3, "evidence_captured_at": "later"})]
    )
    assert [(e.row, e.column) for e in parsed.errors] == [
        (7, "milestone_id"),
        (7, "percent"),
        (7, "evidence_uri"),
        (7, "evidence_sha256"),
        (7, "evidence_media_type"),
        (7, "evidence_captured_at"),
    ]


def test_rows_are_decided_on_the_state_the_earlier_rows_leave() -> None:
    rows = imports.parse(
        [
            (2, {"milestone_id": ID, "command": "start"}),
            (3, {"milestone_id": ID, "command": "progress", "percent": 30}),
            (4, {"milestone_id": ID, "command": "start"}),
            (5, {"milestone_id": ID, "command": "block", "note": "no budget"}),
            (6, {"milestone_id": ID, "command": "progress", "percent": 50}),
            (7, {"milestone_id": ID, "command": "unblock"}),
            (
                8,
                {
                    "milestone_id": ID,
                    "command": "reschedule",
                    "new_due_date": "2026-01-01",
                    "note": "earlier",
                },
            ),
        ]
    ).rows
    decided = imports.decide_rows(planned(), rows, DECISIONS)
    assert [(e.row, e.column) for e in decided.errors] == [
        (4, "command"),
        (6, "command"),
        (8, "new_due_date"),
    ]
    assert [e.type for e in decided.events] == [
        "MilestoneStarted",
        "ProgressReported",
        "MilestoneBlocked",
        "MilestoneUnblocked",
    ]
    assert (decided.state.status, decided.state.progress) == ("in_progress", 30)
    assert {n: s.status for n, s in decided.after.items()} == {
        2: "in_progress",
        3: "in_progress",
        5: "blocked",
        7: "in_progress",
    }
