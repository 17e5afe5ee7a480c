"""Report files as tables of cells, and the report template as an .xlsx file.

Readers turn an .xlsx, a .csv or a JSON array into ``Table``: the header, and each
non-empty row as (row number, {column: cell}). Whatever in the file cannot be read as a
plain value (a formula, a merged range, text that is not UTF-8) becomes a ``RowError``
on the row and column where a person would look for it, rather than a guess.

Files come from outside, so a reader never trusts their claims: rows are counted as they
are read and reading stops past ``max_rows``, whatever the sheet says its size is.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.etree import ElementTree

from openpyxl import Workbook, load_workbook
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.worksheet.datavalidation import DataValidation

from service.tracking.domain import imports as rows
from service.tracking.domain.imports import Cell, RowError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
JSON = "application/json"
MEDIA_TYPES = (XLSX, CSV, JSON)
SHEET = "Report"
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


class Unreadable(ValueError):
    """The file as a whole cannot be read as a report; the message says why."""


class TooManyRows(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the report has more than {limit} rows; split it into smaller files")
        self.limit = limit


@dataclass
class Table:
    header: list[str] = field(default_factory=list)
    records: list[tuple[int, dict[str, Cell]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def read(data: bytes, media_type: str, max_rows: int) -> Table:
    """The table in ``data``. Raises Unreadable, TooManyRows, or ValueError for a media
    type that is not one of MEDIA_TYPES."""
    if media_type == XLSX:
        return read_xlsx(data, max_rows)
    if media_type == CSV:
        return read_csv(data, max_rows)
    if media_type == JSON:
        try:
            document = json.loads(data, parse_constant=_no_constant)
        except RecursionError:
            raise Unreadable("the JSON is nested too deeply") from None
        except ValueError as error:  # also UnicodeDecodeError, and NaN or Infinity
            raise Unreadable(f"the file is not valid JSON: {error}") from None
        return read_json(document, max_rows)
    raise ValueError(f"unsupported media type {media_type!r}")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _table(header_cells: Sequence[Cell], body: Iterator[tuple[int, Sequence[Cell]]]) -> Table:
    header = [rows.normalized(cell) for cell in header_cells]
    while header and not header[-1]:
        header.pop()
    table = Table(header=header, errors=rows.header_errors(header))
    for number, cells in body:
        if len(cells) > len(header) and any(_filled(c) for c in cells[len(header) :]):
            column = get_column_letter(len(header) + 1)
            table.errors.append(
                RowError(number, column, "a value in a column without a header; add the header")
            )
        record = {name: cell for name, cell in zip(header, cells, strict=False) if name}
        if any(_filled(cell) for cell in record.values()):
            table.records.append((number, record))
    return table


def _filled(cell: Cell) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _limited(body: Iterator[tuple[int, Sequence[Cell]]], max_rows: int) -> Iterator[Any]:
    """Non-empty rows, refusing the report once more than ``max_rows`` have been read."""
    count = 0
    for number, cells in body:
        if any(_filled(cell) for cell in cells):
            count += 1
            if count > max_rows:
                raise TooManyRows(max_rows)
            yield number, cells


# --- .xlsx -----------------------------------------------------------------------------


def read_xlsx(data: bytes, max_rows: int) -> Table:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # noqa: BLE001 - a hostile file may break the parser anywhere
        problem = f"the file is not a readable .xlsx workbook ({type(error).__name__})"
        raise Unreadable(problem) from None
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        merged = _merged_ranges(data, sheet)
        lines = sheet.iter_rows()
        header = [cell.value for cell in next(lines, ())]
        if not any(_filled(cell) for cell in header):
            raise Unreadable("the first row must hold the column names (see the template)")
        width = len(header)
        formulas: list[RowError] = []

        def body() -> Iterator[tuple[int, Sequence[Cell]]]:
            for number, line in enumerate(lines, start=2):
                cells: list[Cell] = []
                for position, cell in enumerate(line, start=1):
                    if getattr(cell, "data_type", None) == "f":
                        column = header[position - 1] if position <= width else position
                        formulas.append(
                            RowError(
                                number,
                                rows.normalized(column) or get_column_letter(position),
                                "formulas are not accepted; paste the value instead",
                            )
                        )
                        cells.append(None)
                    else:
                        cells.append(_cell(cell.value))
                yield number, cells

        table = _table(header, _limited(body(), max_rows))
    except (Unreadable, TooManyRows):
        raise
    except Exception as error:  # noqa: BLE001 - as above: a damaged sheet fails late
        raise Unreadable(f"the workbook could not be read ({type(error).__name__})") from None
    finally:
        book.close()
    table.errors += formulas + [
        error for ref in merged for error in _merged_errors(table.header, ref)
    ]
    return table


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | date):
        return value
    return str(value)  # a time or a duration: shown as text, and refused by its column


def _merged_ranges(data: bytes, sheet: Any) -> list[str]:
    """The merged ranges of ``sheet``; openpyxl's streaming reader does not load them,
    so they are read from the sheet's XML, streamed as well."""
    path = getattr(sheet, "_worksheet_path", None)
    if not path:
        return []
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(path) as xml:
        return [
            element.get("ref", "")
            for _, element in ElementTree.iterparse(xml)
            if element.tag == MAIN_NS + "mergeCell"
        ]


def _merged_errors(header: list[str], ref: str) -> list[RowError]:
    """One error for each row a merged range covers: each has lost its own value."""
    first_column, first_row, _, last_row = range_boundaries(ref)
    position = first_column or 1
    column = header[position - 1] if position <= len(header) else ""
    problem = f"merged cells ({ref}) are not accepted; unmerge them and fill in every row"
    return [
        RowError(number, column or get_column_letter(position), problem)
        for number in range(first_row or 1, (last_row or first_row or 1) + 1)
    ]


# --- .csv ------------------------------------------------------------------------------


def read_csv(data: bytes, max_rows: int) -> Table:
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("the .csv file must be saved as UTF-8 (CSV UTF-8 in Excel)") from None
    first_line = content.split("\n", 1)[0]
    # Spreadsheets set to Russian or Kazakh write ';' between the values.
    delimiter = max(",;\t", key=first_line.count)
    lines = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        header = next(lines, [])
        if not any(cell.strip() for cell in header):
            raise Unreadable("the first row must hold the column names (see the template)")
        body = ((number, list(line)) for number, line in enumerate(lines, start=2))
        return _table(list(header), _limited(body, max_rows))
    except csv.Error as error:
        raise Unreadable(f"the .csv file could not be read: {error}") from None


# --- JSON ------------------------------------------------------------------------------


def read_json(document: Any, max_rows: int) -> Table:
    """A JSON array of objects; row numbers count the objects from 1."""
    if not isinstance(document, list):
        raise Unreadable("the body must be a JSON array of rows (objects)")
    if len(document) > max_rows:
        raise TooManyRows(max_rows)
    table = Table()
    first_row: dict[str, int] = {}  # each key, and the first row that uses it
    for number, item in enumerate(document, start=1):
        if not isinstance(item, Mapping):
            table.errors.append(RowError(number, "", "each row must be a JSON object"))
            continue
        record: dict[str, Cell] = {}
        for key, value in item.items():
            name = rows.normalized(key)
            first_row.setdefault(name, number)
            if value is None or (
                isinstance(value, str | int | float) and not isinstance(value, bool)
            ):
                record[name] = value
            else:
                table.errors.append(RowError(number, name, "must be a string, a number or null"))
        if any(_filled(cell) for cell in record.values()):
            table.records.append((number, record))
    table.header = list(first_row)
    table.errors[:0] = [
        RowError(first_row[name], name, "unknown key; see the report template")
        for name in rows.unknown_columns(table.header)
    ]
    return table


# --- the template ----------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateRow:
    milestone_id: str
    initiative: str
    title: str
    status: str
    progress: int
    due_date: date


TEMPLATE_COLUMNS = (
    rows.MILESTONE_ID,
    rows.INITIATIVE,
    rows.MILESTONE,
    *rows.REFERENCE_COLUMNS,
    *rows.INPUT_COLUMNS[3:],
)
DATE_FORMAT = "yyyy-mm-dd"
# Column -> the data validation a spreadsheet program applies as it is typed in: type,
# formulas (a list; a range; "greater than 1", which makes any date valid), error shown.
VALIDATIONS: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    rows.COMMAND: (
        "list",
        ('"' + ",".join(rows.COMMANDS) + '"',),
        "Unknown command",
        "Choose one of: " + ", ".join(rows.COMMANDS),
    ),
    rows.PERCENT: ("whole", ("0", "100"), "Percent", "A whole number from 0 to 100"),
    rows.NEW_DUE_DATE: ("date", ("1",), "Date", "A date, e.g. 2026-12-31"),
    rows.EVIDENCE_CAPTURED_AT: ("date", ("1",), "Date", "The date the evidence was captured"),
}
WIDTHS = {rows.MILESTONE_ID: 38, rows.INITIATIVE: 30, rows.MILESTONE: 40, rows.NOTE: 50}


def template(milestones: Sequence[TemplateRow], spare_rows: int = 200) -> bytes:
    """The report template: one row per milestone, reference columns filled in, and data
    validation on the columns a reporter fills (applied to ``spare_rows`` more rows too,
    for a milestone named by its title)."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(list(TEMPLATE_COLUMNS))
    sheet.freeze_panes = "A2"
    for row in milestones:
        sheet.append(
            [row.milestone_id, row.initiative, row.title, row.status, row.progress, row.due_date]
        )
    last = max(len(milestones) + 1 + spare_rows, 2)
    letter = {name: get_column_letter(i) for i, name in enumerate(TEMPLATE_COLUMNS, start=1)}
    for name, column in letter.items():
        sheet.column_dimensions[column].width = WIDTHS.get(name, 18)
    for number in range(2, len(milestones) + 2):
        sheet[f"{letter['current_due_date']}{number}"].number_format = DATE_FORMAT
    for name in (rows.NEW_DUE_DATE, rows.EVIDENCE_CAPTURED_AT):
        for number in range(2, last + 1):
            sheet[f"{letter[name]}{number}"].number_format = DATE_FORMAT
    for name, (kind, limits, title, error) in VALIDATIONS.items():
        first, second = (limits + (None,))[:2]
        validation = DataValidation(
            type=kind,
            operator=None if kind == "list" else ("between" if second else "greaterThan"),
            formula1=first,
            formula2=second,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=title,
            error=error,
        )
        validation.add(f"{letter[name]}2:{letter[name]}{last}")
        sheet.add_data_validation(validation)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
