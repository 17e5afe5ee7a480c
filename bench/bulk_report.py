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

A report is appended by one atomic script (``append_all``), which blocks Redis while it
runs. Its cost is measured at the size bound of a report: 10,000 events on 1,000
streams, as Redis's SLOWLOG times the script, against the same events appended by
``append_each`` (one script per stream, pipelined, not atomic), in the same run.
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
from service.bootstrap import Services
from service.ledger.batch import Append, append_all, append_each
from service.ledger.domain.chain import Actor
from service.tracking.domain import events as ev
from service.tracking.domain.imports import INPUT_COLUMNS
from service.tracking.spreadsheets import CSV, XLSX

NAME = "Bulk report"
REPORTS_PER_MILESTONE = 10
TARGET_RATIO = 5.0
ATOMIC_EVENTS = 10_000  # the default RT_IMPORT_MAX_ROWS
EVENTS_PER_STREAM = 10


def run(settings: Settings) -> Section:
    services, overseer, secret, reporter = identities(settings)
    rows = 200 if settings.quick else 5_000
    atomic = 500 if settings.quick else ATOMIC_EVENTS
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
    scripts: dict[str, list[float]] = {"all": [], "each": [], "all wall": [], "each wall": []}
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
            for way in ("all", "each") if repetition % 2 else ("each", "all"):
                busy, wall = blocking(services, way, repetition, atomic)
                scripts[way].append(busy)
                scripts[f"{way} wall"].append(wall)
    section.rows = _rows(samples, rows) + _script_rows(scripts, atomic)
    services.redis.close()
    return section


def blocking(services: Services, way: str, repetition: int, events: int) -> tuple[float, float]:
    """Milliseconds Redis spent in the longest append script while ``events`` events
    were appended ``way`` ("all": one append_all; "each": append_each) on a tenth as many
    streams, and the call's wall time."""
    client, store = services.redis, services.store
    appends: list[Append] = [
        (f"bench-atomic-{way}-{repetition}-{n}", [ev.CommentAdded("monthly")] * per, 0)
        for n, per in enumerate([EVENTS_PER_STREAM] * (events // EVENTS_PER_STREAM))
    ]
    actor = Actor("bench", "reporter", "bench")
    before = client.config_get("slowlog-*")
    client.config_set("slowlog-log-slower-than", 0)
    client.config_set("slowlog-max-len", events)
    client.slowlog_reset()
    started = time.perf_counter()
    (append_all if way == "all" else append_each)(store, appends, actor=actor)
    wall = time.perf_counter() - started
    entries = client.slowlog_get(events)
    for name, value in before.items():
        client.config_set(str(name), str(value))
    ours = [e["duration"] for e in entries if f"bench-atomic-{way}-" in str(e["command"])]
    return max(ours) / 1000, wall * 1000


def _script_rows(scripts: dict[str, list[float]], events: int) -> list[Row]:
    case = f"append_all, {events:,} events on {events // EVENTS_PER_STREAM:,} streams"
    baseline = "append_each, the same events (one script per stream)"
    return [
        compared(
            case, "longest script (Redis blocked)", "ms", scripts["all"], scripts["each"], baseline
        ),
        compared(case, "wall time", "ms", scripts["all wall"], scripts["each wall"], baseline),
    ]


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
