"""Bulk reports: spreadsheet rows turned into milestone commands, and checked together.

A report is a table. Each row names a milestone (by id, or by its title within a named
initiative), a command, the command's values and a note. Parsing turns cells into
``ReportRow``s or ``RowError``s; checking decides each row on the milestone as the earlier
rows of the same report leave it, with the ordinary single-command decisions, so a row
is refused exactly when the same command posted alone (after the earlier ones) would be.

Row numbers are the spreadsheet's (the header is row 1) so that an error points at the
cell a person has to fix. Pure: cells arrive as Python values from whatever reader.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import reduce
from typing import Any

from service.ledger.domain.errors import DomainError
from service.tracking.domain import events as ev
from service.tracking.domain import milestone as ms

Cell = str | int | float | date | datetime | None
Decision = Callable[..., list[ev.DomainEvent]]

MILESTONE_ID = "milestone_id"
INITIATIVE = "initiative"
MILESTONE = "milestone"
COMMAND = "command"
PERCENT = "percent"
NEW_DUE_DATE = "new_due_date"
EVIDENCE_URI = "evidence_uri"
EVIDENCE_SHA256 = "evidence_sha256"
EVIDENCE_MEDIA_TYPE = "evidence_media_type"
EVIDENCE_CAPTURED_AT = "evidence_captured_at"
NOTE = "note"

# The values a command may need.
VALUE_COLUMNS = (
    PERCENT,
    NEW_DUE_DATE,
    EVIDENCE_URI,
    EVIDENCE_SHA256,
    EVIDENCE_MEDIA_TYPE,
    EVIDENCE_CAPTURED_AT,
)
# What a row may say, in the template's order.
INPUT_COLUMNS = (MILESTONE_ID, INITIATIVE, MILESTONE, COMMAND, *VALUE_COLUMNS, NOTE)
# The template shows these for reference; a report may keep them, and they are ignored.
REFERENCE_COLUMNS = ("current_status", "current_progress", "current_due_date")


@dataclass(frozen=True)
class Command:
    """How a report's command becomes a milestone command: the verb the single-command
    API uses, the values it needs, and what the row's note becomes."""

    verb: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    note_as: str = "note"


COMMANDS: dict[str, Command] = {
    "start": Command("start"),
    "progress": Command("report-progress", required=(PERCENT,)),
    "complete": Command("report-complete"),
    "reschedule": Command("reschedule", required=(NEW_DUE_DATE,), note_as="reason"),
    "evidence": Command(
        "attach-evidence",
        required=(EVIDENCE_URI, EVIDENCE_SHA256, EVIDENCE_MEDIA_TYPE, EVIDENCE_CAPTURED_AT),
        note_as="description",
    ),
    "block": Command("block", note_as="reason"),
    "unblock": Command("unblock"),
    "comment": Command("comment", note_as="text"),
}

# A decision's argument -> the report column it came from (for errors the decision finds).
ARGUMENT_COLUMNS = {
    "percent": PERCENT,
    "new_due_date": NEW_DUE_DATE,
    "uri": EVIDENCE_URI,
    "sha256": EVIDENCE_SHA256,
    "media_type": EVIDENCE_MEDIA_TYPE,
    "captured_at": EVIDENCE_CAPTURED_AT,
    "note": NOTE,
    "reason": NOTE,
    "text": NOTE,
    "description": NOTE,
}
ARGUMENTS = {column: argument for argument, column in ARGUMENT_COLUMNS.items() if column != NOTE}

# Spreadsheets count days from 1899-12-30 (the 1900 system), correctly from serial 61
# (1900-03-01) on: below it Lotus's phantom 1900-02-29 shifts every day, and no report
# speaks of 1900. Serials up to 9999-12-31 are dates; anything else is not.
EXCEL_EPOCH = date(1899, 12, 30)
FIRST_SERIAL = 61
LAST_SERIAL = (date(9999, 12, 31) - EXCEL_EPOCH).days
MAX_TEXT_CELL = ms.MAX_TEXT


@dataclass(frozen=True)
class RowError:
    """``problem`` is the API's English sentence; ``kind`` and ``params``, when set, are
    what it was made from, so that a page can say it in its reader's language."""

    row: int
    column: str
    problem: str
    kind: str = field(default="", compare=False)
    params: Mapping[str, str] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "problem": self.problem}


@dataclass(frozen=True)
class ReportRow:
    number: int
    command: str
    arguments: dict[str, Any]
    milestone_id: str | None = None
    initiative: str | None = None
    title: str | None = None

    @property
    def verb(self) -> str:
        return COMMANDS[self.command].verb


@dataclass
class Parsed:
    rows: list[ReportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


# --- cells -----------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that does not hold what its column needs; the message says what would."""


def text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.isoformat()
    result = str(value).strip()
    for char in result:
        category = unicodedata.category(char)
        if category == "Cc" and char not in "\t\n\r":
            raise CellError(f"contains a control character (U+{ord(char):04X})")
        if category == "Cs":  # a lone surrogate: not a character, and no UTF-8 for it
            raise CellError(f"contains a lone surrogate (U+{ord(char):04X})")
    if len(result) > MAX_TEXT_CELL:
        raise CellError(f"is longer than {MAX_TEXT_CELL} characters")
    return result


def whole_number(value: Cell) -> int:
    if isinstance(value, bool | date):
        raise CellError("must be a whole number from 0 to 100")
    if isinstance(value, str):
        value = value.strip().removesuffix("%").strip()
        if not value.isascii() or not value.lstrip("-").isdigit() or len(value) > 4:
            raise CellError("must be a whole number from 0 to 100")
        return int(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError("must be a whole number from 0 to 100")
        return int(value)
    assert isinstance(value, int)
    return value


def day(value: Cell) -> date:
    """A date from a date cell, an ISO or dd.mm.yyyy text, or a spreadsheet serial."""
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise CellError("must be a date without a time of day")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(value)
    raw = text(value)
    if raw.isascii() and raw.isdigit():
        return _serial(int(raw))
    for parse in (date.fromisoformat, _dotted):
        try:
            return parse(raw)
        except ValueError:
            continue
    raise CellError("must be a date, e.g. 2026-12-31 or 31.12.2026")


def _dotted(raw: str) -> date:
    parts = raw.split(".")
    if len(parts) != 3 or len(parts[2]) != 4:
        raise ValueError(raw)
    return date(int(parts[2]), int(parts[1]), int(parts[0]))


def _serial(serial: float) -> date:
    if (
        not math.isfinite(serial)
        or serial != int(serial)
        or not FIRST_SERIAL <= serial <= LAST_SERIAL
    ):
        raise CellError("must be a date, e.g. 2026-12-31 (a spreadsheet date number is whole)")
    return EXCEL_EPOCH + timedelta(days=int(serial))


def moment(value: Cell) -> str:
    """An instant as ISO 8601 with its offset; a time without one is taken as UTC."""
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, date) or (
        isinstance(value, int | float) and not isinstance(value, bool)
    ):
        found = datetime.combine(day(value), datetime.min.time())
    else:
        raw = text(value)
        try:
            found = datetime.fromisoformat(raw)
        except ValueError:
            try:
                found = datetime.combine(day(raw), datetime.min.time())
            except CellError:
                raise CellError("must be a date and time, e.g. 2026-11-30T10:00:00+05:00") from None
    return (found if found.tzinfo else found.replace(tzinfo=UTC)).isoformat()


READERS: dict[str, Callable[[Cell], Any]] = {
    PERCENT: whole_number,
    NEW_DUE_DATE: day,
    EVIDENCE_CAPTURED_AT: moment,
}


# --- rows ------------------------------------------------------------------------------


def header_errors(header: Sequence[str]) -> list[RowError]:
    """Problems with the header row (row 1): unknown or repeated columns, no command."""
    errors = [
        RowError(1, name, "unknown column; see the report template", "unknown_column")
        for name in unknown_columns(header)
    ]
    for name in sorted({n for n in header if n and header.count(n) > 1}):
        errors.append(RowError(1, name, "the column appears more than once", "repeated_column"))
    if COMMAND not in header:
        errors.append(RowError(1, COMMAND, "the header has no command column", "no_command_column"))
    return errors


def unknown_columns(header: Sequence[str]) -> list[str]:
    known = set(INPUT_COLUMNS) | set(REFERENCE_COLUMNS)
    return [name for name in header if name and name not in known]


def normalized(name: Cell) -> str:
    """A header as people write it ("Milestone ID ") -> the column name ("milestone_id").
    Never refuses: a name no column has is reported as an unknown column."""
    raw = "" if name is None else str(name)[:MAX_TEXT_CELL]
    # A lone surrogate could not even be quoted back in an error: it is replaced.
    raw = raw.encode("utf-8", "replace").decode("utf-8")
    return "_".join(raw.lower().replace("-", " ").split())


def parse(records: Iterable[tuple[int, Mapping[str, Cell]]]) -> Parsed:
    """Rows from (row number, {column: cell}); a row with nothing to report is skipped."""
    parsed = Parsed()
    for number, record in records:
        try:
            row = _row(number, record)
        except _RowProblems as problems:
            parsed.errors.extend(problems.errors)
            continue
        if row is not None:
            parsed.rows.append(row)
    return parsed


class _RowProblems(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors


def _row(number: int, record: Mapping[str, Cell]) -> ReportRow | None:
    errors: list[RowError] = []
    cells: dict[str, str] = {}
    for column in INPUT_COLUMNS:
        try:
            cells[column] = text(record.get(column))
        except CellError as error:
            errors.append(RowError(number, column, f"{column} {error}"))
    if errors:
        raise _RowProblems(errors)
    name = cells[COMMAND].lower()
    if not name:
        if any(cells[column] for column in (*VALUE_COLUMNS, NOTE)):
            raise _RowProblems(
                [RowError(number, COMMAND, "command is required", "command_required")]
            )
        return None  # an empty row, or a template row left as it was
    command = COMMANDS.get(name)
    if command is None:
        known = ", ".join(COMMANDS)
        message = f"unknown command {name!r}; use {known}"
        params = {"command": name, "known": known}
        raise _RowProblems([RowError(number, COMMAND, message, "unknown_command", params)])
    milestone_id, initiative, title = (cells[MILESTONE_ID], cells[INITIATIVE], cells[MILESTONE])
    if not milestone_id and not (initiative and title):
        errors.append(
            RowError(
                number,
                MILESTONE_ID,
                "name the milestone by milestone_id, or by initiative and milestone title",
                "unnamed_milestone",
            )
        )
    arguments: dict[str, Any] = {}
    for column in VALUE_COLUMNS:
        cell = record.get(column)
        if not cells[column]:
            if column in command.required:
                message = f"{column} is required for {name}"
                params = {"column": column, "command": name}
                errors.append(RowError(number, column, message, "required_for", params))
            continue
        if column not in command.required + command.optional:
            message = f"{column} does not apply to {name}"
            params = {"column": column, "command": name}
            errors.append(RowError(number, column, message, "does_not_apply", params))
            continue
        try:
            arguments[ARGUMENTS[column]] = READERS.get(column, text)(cell)
        except CellError as error:
            errors.append(RowError(number, column, f"{column} {error}"))
    if errors:
        raise _RowProblems(errors)
    arguments[command.note_as] = cells[NOTE]
    return ReportRow(
        number=number,
        command=name,
        arguments=arguments,
        milestone_id=milestone_id or None,
        initiative=None if milestone_id else initiative,
        title=None if milestone_id else title,
    )


# --- deciding --------------------------------------------------------------------------


@dataclass(frozen=True)
class Decided:
    """A milestone's rows decided in order: their events, the state after each accepted
    row (by row number), and the refused rows."""

    state: ms.Milestone
    events: list[ev.DomainEvent]
    errors: list[RowError]
    after: dict[int, ms.Milestone] = field(default_factory=dict)


def decide_rows(
    state: ms.Milestone, rows: Sequence[ReportRow], decisions: Mapping[str, Decision]
) -> Decided:
    """Decide each row on the milestone as the rows before it leave it. A refused row
    changes nothing and the later rows are still decided, so one pass reports every
    problem of the report."""
    events: list[ev.DomainEvent] = []
    errors: list[RowError] = []
    after: dict[int, ms.Milestone] = {}
    for row in rows:
        try:
            decided = decisions[row.verb](state, **row.arguments)
        except DomainError as error:
            column = ARGUMENT_COLUMNS.get(error.field or "", COMMAND)
            errors.append(RowError(row.number, column, error.message))
            continue
        events.extend(decided)
        state = after[row.number] = reduce(ms.evolve, decided, state)
    return Decided(state, events, errors, after)
