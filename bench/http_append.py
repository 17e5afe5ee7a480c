"""HTTP append through gunicorn: report-progress commands vs a no-op POST, same server,
same run, alternating which goes first in each repetition (see bench/http_server.py)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench.http_load import Load, generator_name, post_load
from bench.http_server import gunicorn, identities, started_milestones
from bench.results import Row, Section, compared
from bench.settings import Settings

NAME = "HTTP append"
CONNECTIONS = 16
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
PROGRESS = {"percent": 40, "note": "body cameras issued to the guard company"}


def run(settings: Settings) -> Section:
    services, overseer, reporter_secret, reporter = identities(settings)
    per_repetition = 64 if settings.quick else 256
    section = Section(
        NAME,
        notes=[
            f"load generator: {generator_name()}, {CONNECTIONS} connections",
            f"gunicorn sync workers = cores ({os.cpu_count()}); fresh started milestones each "
            f"repetition ({per_repetition}), POSTs spread round-robin over them",
        ],
    )
    samples: dict[str, list[Load]] = {"append": [], "noop": []}
    with (
        tempfile.TemporaryDirectory(prefix="rt-http-") as folder,
        gunicorn(settings, Path(folder) / "gunicorn.log") as url,
    ):
        for repetition in range(settings.repetitions):
            ids = started_milestones(services, overseer, reporter, per_repetition)
            paths = {
                "append": [f"/milestones/{i}/report-progress" for i in ids],
                "noop": ["/bench/noop"],
            }
            order = ["append", "noop"] if repetition % 2 == 0 else ["noop", "append"]
            for kind in order:
                load = post_load(
                    url, paths[kind], reporter_secret, PROGRESS, CONNECTIONS, settings.seconds
                )
                if load.errors > load.requests * 0.01:
                    raise RuntimeError(f"{kind}: {load.errors} of {load.requests} failed")
                samples[kind].append(load)
    section.rows = _rows(samples)
    services.redis.close()
    return section


def _rows(samples: dict[str, list[Load]]) -> list[Row]:
    case = f"POST report-progress, {CONNECTIONS} connections"
    baseline = f"POST /bench/noop, {CONNECTIONS} connections"
    ours, noop = samples["append"], samples["noop"]
    throughput = compared(
        case,
        "throughput",
        "requests/s",
        [s.per_second for s in ours],
        [s.per_second for s in noop],
        baseline,
    )
    throughput.target = ">= 50% of no-op"
    throughput.met = (throughput.ratio or 0) >= TARGET_RATIO
    p50 = compared(
        case, "p50 latency", "ms", [s.p50_ms for s in ours], [s.p50_ms for s in noop], baseline
    )
    p99 = compared(
        case, "p99 latency", "ms", [s.p99_ms for s in ours], [s.p99_ms for s in noop], baseline
    )
    p99.target = f"< {TARGET_P99_MS:g} ms"
    p99.met = p99.value < TARGET_P99_MS
    return [throughput, p50, p99]
