"""Bulk report vs single commands through gunicorn: the same progress reports appended
by one POST /imports of a spreadsheet, and by one POST per report, same server, same
run, alternating which goes first in each repetition.

Both sides report progress on fresh started milestones, ten reports per milestone. The
single POSTs go one after another on one keep-alive connection, as a script working
through a spreadsheet row by row would send them; the upload is one request carrying
the whole file (.xlsx, and .csv for the cost of parsing), timed from the first byte
sent to the answer, so it includes reading the file, deciding every row and appending.
For scale, single POSTs are also measured from 16 connections at once (the HTTP append
load), which one upload, a single request, does not use.
"""

from __future__ import annotations

import http.client
import io
import json
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from openpyxl import Workbook

from bench.http_append import CONNECTIONS, PROGRESS
from bench.http_load import post_load
from bench.http_server import gunicorn, identities, started_milestones
from bench.results import Row, Section, compared
from bench.settings import Settings
from service.tracking.domain.imports import INPUT_COLUMNS
from service.tracking.spreadsheets import CSV, XLSX

NAME = "Bulk report"
REPORTS_PER_MILESTONE = 10
TARGET_RATIO = 5.0


def run(settings: Settings) -> Section:
    services, overseer, secret, reporter = identities(settings)
    rows = 200 if settings.quick else 5_000
    milestones = rows // REPORTS_PER_MILESTONE
    section = Section(
        NAME,
        notes=[
            f"{rows} progress reports on {milestones} fresh started milestones per side and "
            "repetition; single POSTs sequential on one keep-alive connection, and for "
            f"scale from {CONNECTIONS} connections for {settings.seconds:g} s",
        ],
    )
    samples: dict[str, list[float]] = {"single": [], "xlsx": [], "csv": [], "concurrent": []}
    with (
        tempfile.TemporaryDirectory(prefix="rt-bulk-") as folder,
        gunicorn(settings, Path(folder) / "gunicorn.log") as url,
    ):
        for repetition in range(settings.repetitions):
            order = ["single", "xlsx", "csv", "concurrent"]
            if repetition % 2:
                order.reverse()
            for kind in order:
                ids = started_milestones(services, overseer, reporter, milestones)
                if kind == "concurrent":
                    paths = [f"/milestones/{i}/report-progress" for i in ids]
                    load = post_load(url, paths, secret, PROGRESS, CONNECTIONS, settings.seconds)
                    samples[kind].append(load.per_second)
                    continue
                reports = [(ids[n % milestones], n % 101) for n in range(rows)]
                seconds = (single_posts if kind == "single" else upload)(url, secret, reports, kind)
                samples[kind].append(rows / seconds)
    section.rows = _rows(samples, rows)
    services.redis.close()
    return section


def single_posts(url: str, secret: str, reports: list[tuple[str, int]], _kind: str) -> float:
    connection = _connect(url)
    started = time.perf_counter()
    for milestone_id, percent in reports:
        body = json.dumps({"percent": percent, "note": "monthly report"})
        path = f"/milestones/{milestone_id}/report-progress"
        _send(connection, path, body.encode(), "application/json", secret)
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def upload(url: str, secret: str, reports: list[tuple[str, int]], kind: str) -> float:
    lines = [
        [milestone_id, "", "", "progress", percent, "", "", "", "", "", "monthly report"]
        for milestone_id, percent in reports
    ]
    data, media_type = (_xlsx(lines), XLSX) if kind == "xlsx" else (_csv(lines), CSV)
    connection = _connect(url)
    started = time.perf_counter()
    answer = _send(connection, "/imports", data, media_type, secret)
    elapsed = time.perf_counter() - started
    connection.close()
    if json.loads(answer)["events"] != len(reports):
        raise RuntimeError(f"the upload did not append {len(reports)} events: {answer[:300]!r}")
    return elapsed


def _connect(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)


def _send(
    connection: http.client.HTTPConnection, path: str, body: bytes, media_type: str, secret: str
) -> bytes:
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": media_type}
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    answer = response.read()
    if response.status != 200:
        raise RuntimeError(f"POST {path}: {response.status} {answer[:300]!r}")
    return answer


def _xlsx(lines: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Report"
    sheet.append(list(INPUT_COLUMNS))
    for line in lines:
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(lines: list[list[object]]) -> bytes:
    text = [",".join(INPUT_COLUMNS)] + [",".join(str(cell) for cell in line) for line in lines]
    return ("\n".join(text) + "\n").encode()


def _rows(samples: dict[str, list[float]], rows: int) -> list[Row]:
    baseline = f"{rows:,} single POSTs report-progress"
    found = []
    for kind, label in (("xlsx", ".xlsx"), ("csv", ".csv")):
        row = compared(
            f"POST /imports, {rows:,}-row {label}",
            "throughput",
            "events/s",
            samples[kind],
            samples["single"],
            baseline,
        )
        row.target = f">= {TARGET_RATIO:g}x single POSTs per event"
        row.met = (row.ratio or 0) >= TARGET_RATIO
        found.append(row)
    found.append(
        compared(
            f"POST /imports, {rows:,}-row .xlsx",
            "throughput",
            "events/s",
            samples["xlsx"],
            samples["concurrent"],
            f"single POSTs report-progress, {CONNECTIONS} connections",
        )
    )
    return found
