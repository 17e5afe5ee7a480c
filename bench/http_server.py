"""The server and the milestones the HTTP benchmark posts to.

gunicorn serves the production app (service.wsgi:app, plus the no-op route from
bench/noop_app.py) with the service's own gunicorn settings (worker class, threads), as
`reform-tracker up` does, and as many workers as cores. Logs are kept to warnings, so
that writing access lines is not what is measured.
The rate limit is raised out of the way but the limiter stays in the request path, and
the metrics are kept in a multiprocess folder, as under `up`, so their cost is counted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from bench.settings import Settings
from bench.workloads import BENCH_KEYS
from service.access.policy import TokenRecord
from service.bootstrap import Services, bootstrap
from service.runtime.config import Config
from service.runtime.redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def gunicorn(settings: Settings, log: Path, checkout: Path = ROOT) -> Iterator[str]:
    """The production app plus the no-op route, served until the block ends; yields its URL.
    ``checkout``: the source tree to serve (another one for an A/B run, see http_ab)."""
    with gunicorn_process(settings, log, checkout) as (url, _process):
        yield url


@contextmanager
def gunicorn_process(
    settings: Settings, log: Path, checkout: Path = ROOT
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``gunicorn`` that also yields the master process (its children are the workers)."""
    port = free_port()
    metrics = Path(tempfile.mkdtemp(prefix="rt-bench-metrics-"))
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "RT_REDIS_URL": settings.redis_url,
        "RT_KEY_PREFIX": BENCH_KEYS.prefix,
        "RT_RATE_LIMIT": "100000000/minute",
        "PYTHONPATH": str(checkout),
        "RT_LOG_LEVEL": "WARNING",
    }
    workers = os.cpu_count() or 2
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:service.api.gunicorn_config",
            "bench.noop_app:app",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--graceful-timeout",
            "10",
        ],
        env=env,
        cwd=checkout,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                shutil.rmtree(metrics, ignore_errors=True)
                raise RuntimeError("gunicorn did not start:\n" + log.read_text()[-3000:]) from None
            time.sleep(0.1)
    try:
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(metrics, ignore_errors=True)


def identities(settings: Settings) -> tuple[Services, TokenRecord, str, TokenRecord]:
    """The services on the benchmark's keys, an overseer, and a reporter (its secret to
    send, and its record to act as directly)."""
    services = bootstrap(Config(redis_url=settings.redis_url, key_prefix=BENCH_KEYS.prefix))
    overseer = services.tokens.create("overseer", None, "bench")[1]
    reporter_secret, reporter = services.tokens.create("reporter", "PGO", "bench")
    return services, overseer, reporter_secret, reporter


def started_milestones(
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
