"""The CLI against a real redis-server: tokens, verify, and refusing Redis it cannot use."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import pytest
import redis
from rq import Queue
from rq.cron import CronScheduler
from rq.job import JobStatus

from service.access.tokens import TokenRegistry
from service.bootstrap import Services
from service.cli import main
from service.dashboards.projector import Projector
from service.dashboards.readmodels import Layout, live_generations
from service.ledger.domain.chain import Actor, canonical
from service.ledger.eventstore import EventStore
from service.ledger.keys import Keys
from service.runtime.redis_server import URL_FILE, RedisServer, free_port
from service.tracking.domain import events as ev
from tests.projection_support import Scenario, random_history
from workers.registry import QUEUE


@pytest.fixture(autouse=True)
def no_redis_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RT_REDIS_URL", "REDIS_URL", "RT_ALLOW_UNSAFE_REDIS", "RT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_token_create_list_revoke(
    capsys: pytest.CaptureFixture[str], redis_url: str, store: EventStore
) -> None:
    registry = TokenRegistry(store.redis, Keys("rt"), store.clock)
    code, out, _ = run(
        capsys,
        "token",
        "create",
        "--role",
        "reporter",
        "--agency",
        "Ministry of Defence",
        "--label",
        "MoD desk",
        "--redis-url",
        redis_url,
        "--json",
    )
    assert code == 0
    created = json.loads(out)
    authenticated = registry.authenticate(created["token"])
    assert authenticated and authenticated.id == created["id"]
    assert authenticated.agency == "Ministry of Defence"

    code, out, _ = run(capsys, "token", "list", "--redis-url", redis_url)
    assert code == 0 and created["id"] in out and "MoD desk" in out
    assert created["token"] not in out, "a listing never shows the secret"

    code, out, _ = run(capsys, "token", "revoke", created["id"], "--redis-url", redis_url)
    assert code == 0 and registry.authenticate(created["token"]) is None
    code, _, err = run(capsys, "token", "revoke", created["id"], "--redis-url", redis_url)
    assert code == 1 and "no token with id" in err


def test_human_token_output_ends_with_the_token(
    capsys: pytest.CaptureFixture[str], redis_url: str, store: EventStore
) -> None:
    code, out, _ = run(capsys, "token", "create", "--role", "admin", "--redis-url", redis_url)
    assert code == 0
    token = out.strip().splitlines()[-1]
    found = TokenRegistry(store.redis, Keys("rt"), store.clock).authenticate(token)
    assert found and found.role == "admin" and found.id in out


def test_a_reporter_token_needs_an_agency(
    capsys: pytest.CaptureFixture[str], redis_url: str
) -> None:
    code, _, err = run(capsys, "token", "create", "--role", "reporter", "--redis-url", redis_url)
    assert code == 2 and "scoped to an agency" in err
    # Nothing but the key-scheme marker every start leaves.
    assert redis.Redis.from_url(redis_url).keys("*") in ([], [Keys("rt").scheme_marker.encode()])


def test_commands_find_the_redis_recorded_in_the_data_dir(
    capsys: pytest.CaptureFixture[str], redis_url: str, tmp_path: Path
) -> None:
    (tmp_path / URL_FILE).write_text(redis_url + "\n")
    code, out, _ = run(capsys, "token", "create", "--role", "admin", "--data-dir", str(tmp_path))
    assert code == 0
    assert redis.Redis.from_url(redis_url).dbsize() > 0


def test_a_stale_recorded_address_says_where_it_came_from(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / URL_FILE).write_text(f"redis://127.0.0.1:{free_port()}/0\n")
    code, _, err = run(capsys, "verify", "--data-dir", str(tmp_path), "--wait", "0")
    assert code == 2 and str(tmp_path / URL_FILE) in err and "is `up` running?" in err


@pytest.fixture
def history(store: EventStore, system_actor: Actor) -> None:
    store.append(
        "programme-1",
        [ev.ProgrammeCreated("1", "Army reform 2026", "", "PGO")],
        expected_version=0,
        actor=system_actor,
    )
    store.append(
        "milestone-1",
        [ev.MilestoneStarted("kick-off"), ev.ProgressReported(40, "cameras ordered")],
        expected_version=None,
        actor=system_actor,
    )


@pytest.mark.usefixtures("history")
def test_verify_reports_an_intact_log(capsys: pytest.CaptureFixture[str], redis_url: str) -> None:
    code, out, _ = run(capsys, "verify", "--redis-url", redis_url)
    assert code == 0 and "OK: 3 events checked" in out


@pytest.mark.usefixtures("history")
def test_verify_fails_on_a_tampered_log(
    capsys: pytest.CaptureFixture[str], redis_url: str, redis_client: redis.Redis
) -> None:
    # Streams cannot be edited in place: rewrite the log with one progress figure inflated.
    log = Keys("rt").log
    stored = cast(list[tuple[str, dict[str, str]]], redis_client.xrange(log))
    entries = [(entry_id, json.loads(fields["e"])) for entry_id, fields in stored]
    entries[2][1]["payload"]["percent"] = 90
    pipe = redis_client.pipeline(transaction=True)
    pipe.delete(log)
    for entry_id, event in entries:
        pipe.xadd(log, {"e": canonical(event).decode()}, id=entry_id)
    pipe.execute()

    code, out, _ = run(capsys, "verify", "--redis-url", redis_url, "--json")
    report = json.loads(out)
    assert code == 1
    assert report["ok"] is False and report["first_bad_position"] == 3
    code, out, _ = run(capsys, "verify", "--redis-url", redis_url)
    assert code == 1 and "BREACH at position 3 in stream milestone-1" in out


@pytest.mark.parametrize(
    "argv", [["verify"], ["token", "list"], ["demo"], ["worker"], ["up", "--port", "0"]]
)
def test_unreachable_redis_is_a_clear_message(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    code, out, err = run(capsys, *argv, "--redis-url", dead, "--wait", "1")
    assert code == 2
    assert f"cannot reach Redis at {dead}" in err
    assert "Traceback" not in out + err


def test_a_command_waits_for_a_redis_that_is_starting(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server = RedisServer(tmp_path / "late")  # its port is chosen, nothing listens yet
    answers: list[tuple[int, str, str]] = []
    argv = ["token", "create", "--role", "admin", "--redis-url", server.url, "--wait", "60"]
    command = threading.Thread(target=lambda: answers.append(run(capsys, *argv)))
    command.start()
    try:
        time.sleep(1.5)
        server.start()  # here, not in a thread: the server dies with the thread that forks it
        command.join(timeout=90)
        code, out, err = answers[0]
        assert code == 0, err
        assert out.strip().splitlines()[-1].startswith("rt_")
        assert "waiting for Redis" in err
    finally:
        command.join(timeout=90)
        server.stop()


def test_without_any_redis_the_user_is_told_how_to_get_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "token", "list", "--data-dir", str(tmp_path))
    assert code == 2 and "RT_REDIS_URL" in err and "reform-tracker up" in err


@pytest.fixture
def unsafe_redis(tmp_path: Path) -> Iterator[str]:
    server = RedisServer(tmp_path / "unsafe", None, "--appendfsync", "everysec").start()
    yield server.url
    server.stop()


@pytest.mark.parametrize(
    "argv",
    [["verify"], ["token", "create", "--role", "admin"], ["scheduler"], ["up", "--port", "0"]],
)
def test_unsafe_redis_is_refused(
    capsys: pytest.CaptureFixture[str], unsafe_redis: str, argv: list[str]
) -> None:
    code, _, err = run(capsys, *argv, "--redis-url", unsafe_redis)
    assert code == 2
    assert "appendfsync is 'everysec', must be 'always'" in err
    assert "RT_ALLOW_UNSAFE_REDIS" in err
    assert redis.Redis.from_url(unsafe_redis).dbsize() == 0, "nothing was written"


def test_unsafe_redis_is_accepted_when_explicitly_allowed(
    capsys: pytest.CaptureFixture[str], unsafe_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RT_ALLOW_UNSAFE_REDIS", "1")
    code, out, err = run(capsys, "verify", "--redis-url", unsafe_redis)
    assert code == 0 and "OK: 0 events checked" in out
    assert "warning" in err and "appendfsync" in err


def test_an_invalid_setting_is_a_clear_message(
    capsys: pytest.CaptureFixture[str], redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RT_PORT", "eighty")
    code, out, err = run(capsys, "verify", "--redis-url", redis_url)
    assert code == 2 and "invalid value" in err and "Traceback" not in out + err


def background(*argv: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RT_")}
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_worker_runs_jobs_from_the_service_queue(redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    job = Queue(QUEUE, connection=connection).enqueue(json.dumps, {"milestone": "overdue"})
    worker = background("worker", "--redis-url", redis_url)
    try:
        wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, "the job")
        assert job.return_value() == '{"milestone": "overdue"}'
    finally:
        assert stop(worker) == 0


def test_scheduler_registers_itself_and_stops_on_sigterm(redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    scheduler = background("scheduler", "--redis-url", redis_url)
    try:
        wait_for(lambda: len(CronScheduler.all(connection)) == 1, "the scheduler")
        assert CronScheduler.all(connection)[0].pid == scheduler.pid
    finally:
        assert stop(scheduler) == 0
    assert CronScheduler.all(connection) == []


def test_verify_read_models_names_a_tampered_record(
    capsys: pytest.CaptureFixture[str], redis_url: str, services: Services
) -> None:
    scenario = Scenario(services, services.clock.today())
    random_history(scenario, 20, seed=7)
    Projector(services).catch_up()
    code, out, _ = run(capsys, "verify", "--read-models", "--redis-url", redis_url)
    assert code == 0 and out.startswith("OK: every read-model record matches"), out
    layout = Layout(services.keys, live_generations(services.redis, services.keys))
    key, target = layout.records("milestones"), sorted(scenario.milestones)[0]
    record = json.loads(services.redis.hget(key, target))
    services.redis.hset(key, target, json.dumps({**record, "title": "Renamed quietly"}))
    code, out, _ = run(capsys, "verify", "--read-models", "--redis-url", redis_url, "--json")
    found = json.loads(out)
    assert code == 1 and found["ok"] is False
    assert (found["difference"]["id"], found["difference"]["field"]) == (target, "title")
