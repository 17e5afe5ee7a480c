"""The worker and the scheduler outlive a Redis crash and restart.

Both run as `reform-tracker` processes against a real redis-server, which is SIGKILLed
and, once both processes have noticed, started again on the same port from its AOF.
They must still be running afterwards and do their work again: the worker projects new
events, the scheduler reports in and enqueues its periodic jobs.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rq.cron import CronScheduler

from service.bootstrap import Services, bootstrap
from service.dashboards.projector_status import projector_status
from service.dashboards.wake import request_projection
from service.ledger.domain.chain import Actor
from service.runtime.config import Config
from service.runtime.redis_server import RedisServer
from service.tracking.domain import events as ev
from tests.e2e.running_up import CLI, environment

DEADLINE = 120.0  # generous: a loaded two-core machine
pytestmark = pytest.mark.slow


def eventually(condition: Callable[[], bool], what: str, *, during: list[Path]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        logs = "\n".join(path.read_text() for path in during)
        assert time.monotonic() < deadline, f"{what} did not happen in time:\n{logs[-4000:]}"
        time.sleep(0.2)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    started = [RedisServer(tmp_path / "redis").start()]
    yield started[0]
    started[0].stop()


def background(command: str, url: str, logs: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [CLI, command],
        env={**environment(), "RT_REDIS_URL": url, "RT_LOG_LEVEL": "DEBUG"},
        stdout=subprocess.DEVNULL,
        stderr=logs.open("wb"),
    )


def append_and_wake(services: Services, n: int) -> None:
    services.store.append(
        f"programme-{n}",
        [ev.ProgrammeCreated(str(n), f"Programme {n}", "", "PGO")],
        expected_version=0,
        actor=Actor("system", "admin", None),
    )
    request_projection(services)


def projected(services: Services) -> bool:
    return bool(projector_status(services)["lag"] == 0)


def test_worker_and_scheduler_survive_a_redis_restart(server: RedisServer, tmp_path: Path) -> None:
    logs = [tmp_path / "worker.err", tmp_path / "scheduler.err"]
    worker = background("worker", server.url, logs[0])
    scheduler = background("scheduler", server.url, logs[1])
    services = bootstrap(Config(redis_url=server.url, log_level="WARNING"))
    try:
        append_and_wake(services, 1)
        eventually(lambda: projected(services), "the first projection", during=logs)
        eventually(
            lambda: bool(CronScheduler.all(services.jobs.connection)),
            "the scheduler's registration",
            during=logs,
        )

        server.kill()
        # Keep Redis down until both have run into the outage (or died of it).
        for process, log in zip((worker, scheduler), logs, strict=True):
            eventually(
                lambda p=process, f=log: (
                    p.poll() is not None  # type: ignore[misc]
                    or b"redis is unavailable" in f.read_bytes()
                    or b"could not connect to Redis" in f.read_bytes()
                ),
                "noticing the outage",
                during=logs,
            )
        restarted_at = time.time()
        server.start()  # same port, same AOF

        append_and_wake(services, 2)
        eventually(
            lambda: worker.poll() is not None or projected(services),
            "projection after the restart",
            during=logs,
        )
        assert worker.poll() is None, logs[0].read_text()[-4000:]
        assert projected(services)

        def reported_in() -> bool:
            found = CronScheduler.all(services.jobs.connection, cleanup=False)
            beats = [s.last_heartbeat for s in found]
            return any(b is not None and b.timestamp() > restarted_at for b in beats)

        eventually(
            lambda: scheduler.poll() is not None or reported_in(),
            "the scheduler's heartbeat after the restart",
            during=logs,
        )
        assert scheduler.poll() is None, logs[1].read_text()[-4000:]
    finally:
        for process in (worker, scheduler):
            if process.poll() is None:
                process.terminate()
        codes = [process.wait(timeout=60) for process in (worker, scheduler)]
    assert codes == [0, 0], "\n".join(path.read_text()[-2000:] for path in logs)
