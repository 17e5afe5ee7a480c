"""`reform-tracker up` as a user runs it: embedded Redis, API, worker and scheduler as
child processes; everything stops cleanly on SIGTERM and the data survives a restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.redis_server import free_port

CLI = str(Path(sys.executable).with_name("reform-tracker"))
START_TIMEOUT = 120.0
PGO = "Prosecutor General's Office"


@dataclass
class Up:
    process: subprocess.Popen[bytes]
    port: int
    output: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def announced(self) -> dict[str, int]:
        """Wait for the start-up banner; return the child pids it lists."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            text = self.output.read_text()
            for line in text.splitlines():
                if line.startswith("Processes: "):
                    pairs = [item.split(" pid ") for item in line[11:].split(", ")]
                    return {name: int(pid) for name, pid in pairs}
            assert self.process.poll() is None, f"up exited early:\n{self.logs()}"
            time.sleep(0.1)
        raise AssertionError(f"up did not announce itself:\n{self.logs()}")

    def logs(self) -> str:
        return self.output.read_text() + self.output.with_suffix(".err").read_text()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=90)


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RT_") and k != "REDIS_URL"}
    env["RT_RATE_LIMIT"] = ""  # this test is not about throttling
    return env


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def start_up(data_dir: Path, logs: Path) -> Up:
    port = free_port()
    output = logs / f"up-{port}.out"
    process = subprocess.Popen(
        [CLI, "up", "--port", str(port), "--data-dir", str(data_dir), "--workers", "1"],
        env=environment(),
        stdout=output.open("wb"),
        stderr=output.with_suffix(".err").open("wb"),
    )
    return Up(process, port, output)


@pytest.fixture
def running() -> Iterator[list[Up]]:
    started: list[Up] = []
    yield started
    for up in started:
        if up.process.poll() is None:
            up.stop()


def call(up: Up, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        up.base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def create_admin_token(data_dir: Path) -> str:
    created = subprocess.run(
        [CLI, "token", "create", "--role", "admin", "--data-dir", str(data_dir), "--json"],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token: str = json.loads(created.stdout)["token"]
    return token


def record_progress(up: Up, admin: str) -> str:
    """Tokens via the API, then a programme, initiative and milestone with progress."""
    status, overseer = call(up, "POST", "/tokens", admin, {"role": "overseer", "label": "desk"})
    assert status == 201, overseer
    status, reporter = call(up, "POST", "/tokens", admin, {"role": "reporter", "agency": PGO})
    assert status == 201, reporter
    status, programme = call(
        up,
        "POST",
        "/programmes",
        overseer["token"],
        {"title": "Army reform 2026", "description": "", "lead_agency": PGO},
    )
    assert status == 201, programme
    status, initiative = call(
        up,
        "POST",
        f"/programmes/{programme['programme_id']}/initiatives",
        overseer["token"],
        {"title": "Law and Order in the Army", "owner_agency": PGO, "lead": "Deputy PG"},
    )
    assert status == 201, initiative
    status, milestone = call(
        up,
        "POST",
        f"/initiatives/{initiative['initiative_id']}/milestones",
        reporter["token"],
        {"title": "Body cameras", "planned_start": "2026-01-15", "due_date": "2026-06-30"},
    )
    assert status == 201, milestone
    milestone_id = milestone["milestone_id"]
    for verb, body in (("start", {}), ("report-progress", {"percent": 30, "note": "ordered"})):
        status, result = call(
            up, "POST", f"/milestones/{milestone_id}/{verb}", reporter["token"], body
        )
        assert status == 200, result
    return str(milestone_id)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def descendants_running(data_dir: Path) -> list[int]:
    """Processes anywhere that were started for this data folder (gunicorn workers,
    RQ work horses included: they inherit RT_DATA_DIR)."""
    marker = f"RT_DATA_DIR={data_dir.resolve()}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_up_serves_stops_cleanly_and_keeps_the_data(
    data_dir: Path, tmp_path: Path, running: list[Up]
) -> None:
    first = start_up(data_dir, tmp_path)
    running.append(first)
    pids = first.announced()
    assert set(pids) == {"api", "worker", "scheduler", "redis"}
    redis_url = (data_dir / "redis.url").read_text().strip()
    admin = create_admin_token(data_dir)
    milestone_id = record_progress(first, admin)
    status, report = call(first, "GET", "/verify", admin)
    assert status == 200 and report["ok"] is True and report["events_checked"] == 5

    second = subprocess.run(
        [CLI, "up", "--port", str(free_port()), "--data-dir", str(data_dir)],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 2 and "in use" in second.stderr

    assert first.stop() == 0, first.logs()
    assert all(gone(pid) for pid in pids.values()), first.logs()
    assert descendants_running(data_dir) == []
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping()
    assert (data_dir / "appendonly.aof").stat().st_size > 0
    assert not (data_dir / "redis.url").exists()

    again = start_up(data_dir, tmp_path)
    running.append(again)
    again.announced()
    status, milestone = call(again, "GET", f"/milestones/{milestone_id}", admin)
    assert status == 200, milestone
    assert milestone["status"] == "in_progress" and milestone["progress"] == 30
    status, report = call(again, "GET", "/verify", admin)
    assert report["ok"] is True and report["events_checked"] == 5
    assert again.stop() == 0, again.logs()


def test_the_readme_walk_through_runs_as_written(
    data_dir: Path, tmp_path: Path, running: list[Up]
) -> None:
    up = start_up(data_dir, tmp_path)
    running.append(up)
    up.announced()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    script = readme.split("<!-- walk-through -->", 1)[1].split("```sh\n", 1)[1].split("```")[0]
    script = script.replace("http://127.0.0.1:8080", up.base)
    script = script.replace(".venv/bin/reform-tracker", CLI)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env={**environment(), "RT_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["ok"] is True and report["events_checked"] == 5
    assert up.stop() == 0
