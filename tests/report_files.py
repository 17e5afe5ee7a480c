"""Report files for the bulk-report tests, built the way people build them: an .xlsx
workbook written by openpyxl (as a spreadsheet program would), a .csv, a JSON array."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from service.tracking.domain.imports import INPUT_COLUMNS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = list(INPUT_COLUMNS)


def row(milestone_id: str = "", command: str = "", **values: Any) -> list[Any]:
    """One row in HEADER's order."""
    cells = {"milestone_id": milestone_id, "command": command, **values}
    unknown = set(cells) - set(HEADER)
    assert not unknown, unknown
    return [cells.get(name) for name in HEADER]


def xlsx(
    rows: Sequence[Sequence[Any]],
    header: Sequence[str] = HEADER,
    merge: Sequence[str] = (),
    sheet_title: str = "Report",
) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    sheet.append(list(header))
    for cells in rows:
        sheet.append(list(cells))
    for cell_range in merge:
        sheet.merge_cells(cell_range)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_file(
    rows: Sequence[Sequence[Any]],
    header: Sequence[str] = HEADER,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows([["" if cell is None else cell for cell in cells] for cells in rows])
    return out.getvalue().encode(encoding)


def json_rows(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> list[dict]:
    return [
        {name: cell for name, cell in zip(header, cells, strict=True) if cell is not None}
        for cells in rows
    ]
