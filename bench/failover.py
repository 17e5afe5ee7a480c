"""Failover: how long writes are unavailable when the Redis primary dies, and how many
acknowledged appends are lost (the answer must be 0).

A replicated deployment on loopback, as docs/operations.md describes it: one primary, two
replicas and three Sentinels (`redis-server --sentinel`, down-after 1 s), all started by
the one Redis launcher; the API under gunicorn and a worker, both finding the primary
through the Sentinels. Sixteen clients create programmes over HTTP, each write with an
Idempotency-Key of its own, retrying it on any failure until it is acknowledged (201).
Mid-load the primary is SIGKILLed, or paused with SIGSTOP for longer than the failover
takes and then resumed (a partition: the old primary must not acknowledge anything).

The unavailability window of a run is the time from the fault to the first
acknowledgement of a write sent after it. Afterwards the log must hold every
acknowledged write exactly once, pass `verify`, and be sealed and projected to its end.
Baseline from the same run: the p99 latency of a write before the fault.
Run `python -m bench.failover [--quick]` for this section alone; the failover tests
(tests/faults/test_sentinel_failover.py) run the same deployment and audit.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.results import Row, Section, percentile
from bench.settings import Settings
from service.bootstrap import Services, bootstrap
from service.dashboards.projector_status import projector_status
from service.dashboards.wake import enqueue_projection
from service.runtime.config import Config
from service.runtime.redis_server import ReplicatedRedis, free_port, wait_until

NAME = "Failover"
SERVICE = "reform-tracker"
CLIENTS = 16
AGENCY = "Oversight Office"
BEFORE_FAULT = 2.0  # seconds of load before the fault
AFTER_RECOVERY = 1.5  # seconds of load after the first write acknowledged after it
PAUSE_SECONDS = 5.0  # longer than the failover takes (down-after 1 s, then the election)
SETTLE_TIMEOUT = 90.0
# The worker can take half a minute to stop after a failover (RQ retries its lost
# connection before it looks at the stop request); the measurements are over by then.
STOP_TIMEOUT = 10.0


@dataclass
class Write:
    key: str
    started: float
    ended: float = 0.0
    programme_id: str | None = None
    attempts: int = 0


@dataclass
class Deployment:
    """A replicated Redis with Sentinels, the API under gunicorn and a worker."""

    root: Path
    redis: ReplicatedRedis
    services: Services
    token: str
    port: int
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def logs(self) -> str:
        parts = [p.read_text(errors="replace")[-3000:] for p in self.root.glob("*.log")]
        return "\n".join(parts)


def environment(redis: ReplicatedRedis, root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RT_") and k != "REDIS_URL"}
    return {
        **env,
        "RT_REDIS_SENTINELS": redis.sentinel_addresses,
        "RT_REDIS_SERVICE": SERVICE,
        "RT_RATE_LIMIT": "",
        "RT_LOG_LEVEL": "WARNING",
        "RT_DATA_DIR": str(root / "data"),
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(root / "metrics"),
    }


@contextlib.contextmanager
def deployment(root: Path) -> Iterator[Deployment]:
    redis = ReplicatedRedis(root / "redis", service=SERVICE).start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        env = environment(redis, root)
        (root / "metrics").mkdir(parents=True, exist_ok=True)
        config = Config.from_env(env)
        services = bootstrap(config)
        token = services.tokens.create("overseer", None, "failover clients")[0]
        port = free_port()
        gunicorn = [sys.executable, "-m", "gunicorn", "-c", "python:service.api.gunicorn_config"]
        commands = {
            "api": [*gunicorn, "-b", f"127.0.0.1:{port}", "service.wsgi:app"],
            "worker": [sys.executable, "-m", "service.cli", "worker"],
        }
        for name, argv in commands.items():
            log = (root / f"{name}.log").open("wb")
            processes.append(subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT))
        found = Deployment(root, redis, services, token, port, processes)
        wait_until(lambda: call(found, "GET", "/readyz")[0] == 200, "the API", SETTLE_TIMEOUT)
        yield found
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        redis.stop()


def call(deployment: Deployment, method: str, path: str, **headers: str) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", deployment.port, timeout=30)
    try:
        body = headers.pop("body", None)
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read() or b"null")
    except (OSError, http.client.HTTPException, ValueError):
        return 0, None
    finally:
        connection.close()


def _write(deployment: Deployment, write: Write, give_up: float) -> None:
    """Create one programme, retrying with the same Idempotency-Key until it is
    acknowledged (or ``give_up``, a monotonic time, passes)."""
    body = json.dumps({"title": write.key, "lead_agency": AGENCY})
    headers = {
        "Authorization": f"Bearer {deployment.token}",
        "Content-Type": "application/json",
        "Idempotency-Key": write.key,
    }
    while time.monotonic() < give_up:
        write.attempts += 1
        status, answer = call(deployment, "POST", "/programmes", body=body, **headers)
        if status == 201:
            write.ended = time.monotonic()
            write.programme_id = answer["programme_id"]
            return
        time.sleep(0.05)  # a 503's Retry-After is 5 s: these clients are impatient


@dataclass
class Outcome:
    fault_at: float
    writes: list[Write]

    @property
    def acknowledged(self) -> list[Write]:
        return [w for w in self.writes if w.programme_id]

    @property
    def unavailable_seconds(self) -> float:
        after = [w.ended for w in self.acknowledged if w.started >= self.fault_at]
        return (min(after) - self.fault_at) if after else float("inf")

    @property
    def latencies_before(self) -> list[float]:
        return [w.ended - w.started for w in self.acknowledged if w.ended < self.fault_at]


def load(deployment: Deployment, fault: Callable[[Deployment], None], run: str) -> Outcome:
    """CLIENTS writers; ``fault`` applied after BEFORE_FAULT s; load stops once writes are
    acknowledged again (plus AFTER_RECOVERY s), and every started write is then seen
    through to its acknowledgement."""
    writes: list[Write] = []
    lock = threading.Lock()
    stop = threading.Event()
    fault_at = [float("inf")]

    def client(number: int) -> None:
        n = 0
        while not stop.is_set():
            write = Write(f"{run}-client{number}-{n}", time.monotonic())
            with lock:
                writes.append(write)
            _write(deployment, write, time.monotonic() + SETTLE_TIMEOUT)
            n += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(BEFORE_FAULT)
        fault_at[0] = time.monotonic()
        fault(deployment)

        def recovered() -> bool:
            with lock:
                return any(w.programme_id and w.started >= fault_at[0] for w in writes)

        wait_until(recovered, "writes after the fault", SETTLE_TIMEOUT)
        time.sleep(AFTER_RECOVERY)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return Outcome(fault_at[0], writes)


def kill_primary(deployment: Deployment) -> None:
    deployment.redis.primary_server().kill()


def partition_primary(deployment: Deployment) -> None:
    """SIGSTOP the primary for longer than the failover takes, then SIGCONT it: it comes
    back believing it is the primary, with the API's writes of the pause still queued."""
    old = deployment.redis.primary_server()
    old.pause()

    def resume_later() -> None:
        time.sleep(PAUSE_SECONDS)
        old.resume()

    threading.Thread(target=resume_later, daemon=True).start()


@dataclass
class Audit:
    lost: list[str]
    duplicated: list[str]
    verified: bool
    caught_up: bool
    events: int


def audit(deployment: Deployment, outcome: Outcome) -> Audit:
    """What the log holds once things settle: every acknowledged write once, verified,
    sealed and projected to its end."""
    services = deployment.services
    deployment.redis.wait_until_settled(SETTLE_TIMEOUT)
    # What the scheduler's periodic catch-up does: a wake-up the old primary took (and
    # lost) is not waited out for its flag to expire.
    enqueue_projection(services.jobs)

    def caught_up() -> bool:
        status = projector_status(services)
        sealed = services.store.sealer.sealed_position()
        return bool(status["lag"] == 0 and sealed == status["head"])

    with contextlib.suppress(Exception):
        wait_until(caught_up, "the sealer and projector", SETTLE_TIMEOUT)
    created: dict[str, list[str]] = {}
    after, events = 0, 0
    while batch := services.store.read_log(after, 1000, sealed=False):
        for event in batch:
            if event.type == "ProgrammeCreated":
                created.setdefault(event.payload["title"], []).append(event.stream)
        after, events = batch[-1].position, events + len(batch)
    lost = [
        w.key
        for w in outcome.acknowledged
        if f"programme-{w.programme_id}" not in created.get(w.key, [])
    ]
    duplicated = [title for title, streams in created.items() if len(streams) > 1]
    return Audit(lost, duplicated, services.store.verify().ok, caught_up(), events)


def measure(fault: Callable[[Deployment], None], runs: int) -> list[tuple[Outcome, Audit]]:
    found = []
    for run in range(runs):
        with (
            tempfile.TemporaryDirectory(prefix="rt-failover-") as root,
            deployment(Path(root)) as deployed,
        ):
            outcome = load(deployed, fault, f"run{run}")
            found.append((outcome, audit(deployed, outcome)))
    return found


def run(settings: Settings) -> Section:
    if settings.quick:
        return Section(
            NAME,
            status="skipped",
            reason="ten deployments of six processes take minutes: run `python -m bench` "
            "or `python -m bench.failover`; tests/faults/test_sentinel_failover.py runs "
            "the same deployment and audit",
        )
    runs = 5
    section = Section(
        NAME,
        notes=[
            f"{CLIENTS} HTTP clients creating programmes with Idempotency-Keys against the "
            "API under gunicorn and a worker; primary + 2 replicas + 3 Sentinels on loopback "
            f"(down-after 1 s, failover-timeout 3 s); {runs} runs per fault; window = fault "
            "to the first acknowledgement of a write sent after it"
        ],
    )
    faults = {"SIGKILL of the primary": kill_primary}
    faults[f"primary paused {PAUSE_SECONDS:g} s (partition)"] = partition_primary
    for case, fault in faults.items():
        results = measure(fault, runs)
        windows = [outcome.unavailable_seconds for outcome, _ in results]
        before = [x for outcome, _ in results for x in outcome.latencies_before]
        baseline = percentile(before, 0.99)
        for label, fraction in (("p50", 0.5), ("p99", 0.99)):  # p99 of 5 runs: the worst
            value = percentile(windows, fraction)
            section.rows.append(
                Row(
                    case,
                    f"{label} unavailability window",
                    "ms",
                    value * 1000,
                    [round(w * 1000, 1) for w in windows],
                    baseline=baseline * 1000,
                    baseline_case="p99 latency of a write before the fault",
                    ratio=value / baseline if baseline else None,
                )
            )
        lost = sum(len(a.lost) for _, a in results)
        duplicated = sum(len(a.duplicated) for _, a in results)
        row = Row(
            case, "acknowledged appends lost", "events", lost, [len(a.lost) for _, a in results]
        )
        row.target, row.met = "0", lost == 0
        section.rows.append(row)
        acknowledged = sum(len(o.acknowledged) for o, _ in results)
        section.notes.append(
            f"{case}: {acknowledged} writes acknowledged in {runs} runs, {lost} lost, "
            f"{duplicated} duplicated; verify ok in {sum(a.verified for _, a in results)}/"
            f"{runs}, sealer and projector caught up in "
            f"{sum(a.caught_up for _, a in results)}/{runs}"
        )
        if lost or duplicated:
            section.status = "failed"
            section.reason = f"{case}: {lost} acknowledged appends lost, {duplicated} duplicated"
    return section


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.failover")
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    print(json.dumps(run(Settings.for_mode("", options.quick)).to_dict(), indent=2))


if __name__ == "__main__":
    main()
