"""HTTP append through gunicorn: report-progress commands vs a no-op POST, same server.

gunicorn serves the production app (service.wsgi:app, plus the no-op route from
bench/noop_app.py) with as many sync workers as cores, the `reform-tracker up` default.
The rate limit is raised out of the way but the limiter stays in the request path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from bench.http_load import Load, generator_name, post_load
from bench.results import Row, Section, compared
from bench.settings import Settings
from bench.workloads import BENCH_KEYS
from service.bootstrap import Services, bootstrap
from service.config import Config
from service.tokens import TokenRecord
from tests.redis_server import free_port

NAME = "HTTP append"
CONNECTIONS = 16
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
PROGRESS = {"percent": 40, "note": "body cameras issued to the guard company"}


def _start_gunicorn(settings: Settings, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "RT_REDIS_URL": settings.redis_url,
        "RT_KEY_PREFIX": BENCH_KEYS.prefix,
        "RT_RATE_LIMIT": "100000000/minute",
    }
    workers = os.cpu_count() or 2
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.noop_app:app",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--graceful-timeout",
            "10",
        ],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("gunicorn did not start:\n" + log.read_text()[-3000:]) from None
            time.sleep(0.1)


def _milestones(
    services: Services, overseer: TokenRecord, reporter: TokenRecord, count: int
) -> list[str]:
    """Fresh started milestones, so stream length (read on every command) stays small."""
    tracker = services.tracker
    programme = tracker.create_programme(
        overseer, title="Army reform 2026", description="", lead_agency="PGO"
    )
    initiative = tracker.launch_initiative(
        overseer,
        programme.loaded.state.programme_id,
        title="Digital Prevention",
        description="",
        owner_agency="PGO",
        lead="Prosecutor General's Office",
    )
    today = services.clock.today()
    ids = []
    for number in range(count):
        planned = tracker.plan_milestone(
            reporter,
            initiative.loaded.state.initiative_id,
            title=f"Body cameras, unit {number}",
            description="",
            planned_start=today,
            due_date=today + timedelta(days=90),
        )
        milestone_id = planned.loaded.state.milestone_id
        tracker.command(reporter, milestone_id, "start", {"note": ""})
        ids.append(milestone_id)
    return ids


def run(settings: Settings) -> Section:
    services = bootstrap(Config(redis_url=settings.redis_url, key_prefix=BENCH_KEYS.prefix))
    overseer = services.tokens.create("overseer", None, "bench")[1]
    reporter_secret, reporter = services.tokens.create("reporter", "PGO", "bench")
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
    with tempfile.TemporaryDirectory(prefix="rt-http-") as folder:
        process, url = _start_gunicorn(settings, Path(folder) / "gunicorn.log")
        try:
            for repetition in range(settings.repetitions):
                ids = _milestones(services, overseer, reporter, per_repetition)
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
        finally:
            process.terminate()
            process.wait(timeout=30)
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
