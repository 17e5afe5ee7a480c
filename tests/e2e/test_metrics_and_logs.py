"""Observability across real processes: /metrics reports what every process counted, and
every process writes its logs as one JSON object per line.

The API runs under gunicorn with two workers, so a scrape answered by one of them must
still report the other's requests; the projector runs in a forked RQ work horse, which
exits after its job, and its count must still reach the API's scrape.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.bootstrap import bootstrap
from service.runtime.config import Config
from service.runtime.redis_server import free_port
from tests.e2e.running_up import CLI, create_admin_token, environment, start_up

PGO = "Prosecutor General's Office"
PROGRAMMES = 6
READS_EACH = 4
SCRAPES = 6
# Scrapes and the start-up probe: not among the requests a test counts.
UNCOUNTED = {"/metrics", "/healthz"}


def request(base: str, method: str, path: str, token: str = "", body: Any = None) -> Any:
    sent = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(sent, timeout=30) as response:
        text = response.read().decode()
    return json.loads(text) if response.headers.get_content_type() == "application/json" else text


def wait_for(base: str, process: subprocess.Popen[bytes], logs: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, logs.read_text()
        try:
            request(base, "GET", "/healthz")
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the API did not answer:\n{logs.read_text()}")


def scrape(base: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Samples of one scrape by sample name, /metrics's own requests left out."""
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(request(base, "GET", "/metrics")):
        for sample in family.samples:
            if sample.labels.get("endpoint") not in UNCOUNTED:
                found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def total(samples: dict[str, list[tuple[dict[str, str], float]]], name: str) -> float:
    return sum(value for _, value in samples.get(name, []))


def json_lines(*paths: Path) -> list[dict[str, Any]]:
    """Every line of the files, each of which must be one JSON object with a timestamp,
    a level and a message."""
    records = []
    for path in paths:
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                raise AssertionError(f"{path.name}: not a JSON line: {line!r}") from None
            assert isinstance(record, dict), line
            assert {"timestamp", "level", "message"} <= set(record), line
            stamp = datetime.fromisoformat(record["timestamp"])
            assert stamp.tzinfo is not None and stamp <= datetime.now(UTC), line
            assert record["level"] in {"debug", "info", "warning", "error", "critical"}, line
            records.append(record)
    return records


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def test_metrics_add_up_every_process_and_logs_are_json(
    redis_url: str, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {
        **environment(),
        "RT_REDIS_URL": redis_url,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    admin = bootstrap(Config(redis_url=redis_url)).tokens.create("admin", None, "admin")[0]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api_out, api_err = tmp_path / "api.out", tmp_path / "api.err"
    api = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:service.api.gunicorn_config"]
        + ["--workers", "2", "--bind", f"127.0.0.1:{port}", "service.wsgi:app"],
        env=env,
        stdout=api_out.open("wb"),
        stderr=api_err.open("wb"),
    )
    processes.append(api)
    wait_for(base, api, api_err)

    body = {"title": "Army reform 2026", "description": "", "lead_agency": PGO}
    with ThreadPoolExecutor(8) as pool:
        created = list(
            pool.map(lambda _: request(base, "POST", "/programmes", admin, body), range(PROGRAMMES))
        )
        sent = PROGRAMMES
        paths = [f"/programmes/{c['programme_id']}" for c in created] * READS_EACH
        # Until both workers have served requests, one alone could report the total.
        for _ in range(50):
            list(pool.map(lambda path: request(base, "GET", path, admin), paths))
            sent += len(paths)
            if len(serving_processes(api_err)) == 2:
                break
    assert len(serving_processes(api_err)) == 2, api_err.read_text()

    for _ in range(SCRAPES):
        samples = scrape(base)
        assert total(samples, "reform_tracker_http_requests_total") == sent
        assert total(samples, "reform_tracker_events_appended_total") == PROGRAMMES
        assert total(samples, "reform_tracker_events_projected_total") == 0

    # The appends queued a projector wake-up; a burst worker runs it in a forked horse.
    worker_out, worker_err = tmp_path / "worker.out", tmp_path / "worker.err"
    worker = subprocess.run(
        [CLI, "worker", "--burst"],
        env=env,
        stdout=worker_out.open("wb"),
        stderr=worker_err.open("wb"),
        timeout=120,
    )
    assert worker.returncode == 0, worker_err.read_text()
    ran = [
        record
        for record in json_lines(worker_err)
        if "Successfully completed workers.jobs.project()" in record["message"]
    ]
    assert ran and ran[0]["process"] != worker_pid(worker_err), "the job ran in a work horse"
    for _ in range(SCRAPES):
        samples = scrape(base)
        assert total(samples, "reform_tracker_events_projected_total") == PROGRAMMES
        assert total(samples, "reform_tracker_http_requests_total") == sent

    api.terminate()
    assert api.wait(timeout=30) == 0
    records = json_lines(api_out, api_err, worker_out, worker_err)
    loggers = {record["logger"] for record in records}
    assert {"gunicorn.error", "gunicorn.access", "reform_tracker.http", "rq.worker"} <= loggers
    assert_access_log_carries_request_ids(records)


def serving_processes(stderr: Path) -> set[int]:
    """The gunicorn workers that have logged a request the test counts."""
    return {
        record["process"]
        for record in json_lines(stderr)
        if record.get("logger") == "reform_tracker.http" and record["path"] not in UNCOUNTED
    }


def worker_pid(stderr: Path) -> int:
    started = next(r for r in json_lines(stderr) if "started with PID" in r["message"])
    return int(started["process"])


def assert_access_log_carries_request_ids(records: list[dict[str, Any]]) -> None:
    """gunicorn's access line and the API's request line of one request share its id."""
    by_request = {r["request_id"]: r for r in records if r["logger"] == "reform_tracker.http"}
    access = [r for r in records if r["logger"] == "gunicorn.access"]
    assert access and all(r["request_id"] in by_request for r in access)
    for line in access:
        assert by_request[line["request_id"]]["path"] == line["path"]


def test_every_process_under_up_logs_json_lines(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    stale = data_dir / "metrics" / "counter_stale-1.db"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left by an earlier run")
    up = start_up(data_dir, tmp_path)
    try:
        pids = up.announced()
        assert not stale.exists(), "up starts its metrics from an empty folder"
        admin = create_admin_token(data_dir)
        body = {"title": "Army reform 2026", "description": "", "lead_agency": PGO}
        request(up.base, "POST", "/programmes", admin, body)
        with pytest.raises(urllib.error.HTTPError):
            request(up.base, "GET", "/programmes/missing", admin)
        # The append woke the projector: its work horse's count reaches the API.
        deadline = time.monotonic() + 60
        while total(scrape(up.base), "reform_tracker_events_projected_total") < 1:
            assert time.monotonic() < deadline, up.logs()
            time.sleep(0.2)
    finally:
        code = up.stop()
    assert code == 0, up.logs()

    err = up.output.with_suffix(".err")
    records = json_lines(err)
    by_process = {record["process"] for record in records}
    assert {up.process.pid, pids["api"], pids["worker"], pids["scheduler"]} <= by_process
    loggers = {record["logger"] for record in records}
    assert {"reform_tracker.up", "gunicorn.error", "gunicorn.access", "rq.cron"} <= loggers
    assert {"reform_tracker.http", "rq.worker"} <= loggers
    assert_access_log_carries_request_ids(records)
    # stdout is the banner for the person who started `up`, and nothing else.
    banner = up.output.read_text().splitlines()
    assert banner[0].startswith("Reform Tracker is up at") and banner[-1] == "Press Ctrl-C to stop."
    assert len(banner) == 6, banner


def test_a_failing_up_reports_as_a_log_record(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = subprocess.run(
            [CLI, "up", "--port", str(taken.getsockname()[1]), "--data-dir", str(tmp_path)],
            env=environment(),
            capture_output=True,
            timeout=60,
        )
    assert done.returncode == 2
    (tmp_path / "up.err").write_bytes(done.stderr)
    (failure,) = json_lines(tmp_path / "up.err")
    assert failure["level"] == "error" and "in use" in failure["message"]
    assert done.stdout == b""
