"""Checkpoint latency: how long after its append a signed checkpoint covers an event.

Four appender processes append one event per call at a sustained 1,000 events/s in
all through EventStore (fsync always), each noting when each of its positions was
acknowledged. Meanwhile a worker-equivalent process calls the worker's own job,
service/dashboards/projector.catch_up (seal, grow the tree, sign a checkpoint if one is
due, project, advancing the log again between batches), back to back. An event's
latency is the time from its acknowledgement to the first checkpoint whose size covers
it, as seen by a reader polling the latest checkpoint every 5 ms. Baseline from the
same run: the p99 of the appends themselves.
Run `python -m bench.checkpoint_latency [--quick]` for this section alone.
"""

from __future__ import annotations

import argparse
import bisect
import json
import multiprocessing as mp
import sys
import tempfile
import time
import uuid
from datetime import date
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

from bench.own_redis import redis_url_or_own
from bench.results import Row, Section, percentile
from bench.settings import Settings
from bench.workloads import progress_event, unlink_matching
from service.bootstrap import bootstrap
from service.dashboards.projector import catch_up
from service.ledger.domain.chain import Actor
from service.ledger.signing import create_key
from service.runtime.config import Config
from service.tracking.domain import milestone as ms

NAME = "Checkpoint latency"
RATE = 1000  # events/s, all appenders together
APPENDERS = 4
QUICK_SECONDS = 2.0
FULL_SECONDS = 10.0
TARGET_SECONDS = 1.0
POLL_SECONDS = 0.005
# The appenders go on this long after the measured ones, so the last measured events
# see the load sustained too (when appends stop, the rest waits for the interval).
TAIL_SECONDS = 1.5
PREFIX = "bench-checkpoint"
# (every events, interval seconds): the default, and one suited to a 1 s target.
POLICIES = ((1000, 10), (100, 1))


def _append_paced(url: str, index: int, seconds: float, out: Queue) -> None:
    """Append at RATE / APPENDERS events/s; put [(position, acknowledged at, append
    seconds)] on ``out``."""
    services = bootstrap(Config(redis_url=url, key_prefix=PREFIX))
    actor = Actor(token_id=f"bench-{index}", role="reporter", agency="PGO")
    milestone_id, period = str(uuid.uuid4()), APPENDERS / RATE
    stream = f"milestone-{milestone_id}"
    # The projector refuses progress on a milestone it has not seen planned.
    planned = ms.plan(
        milestone_id=milestone_id,
        initiative_id=str(uuid.uuid4()),
        programme_id=str(uuid.uuid4()),
        title=f"Milestone {index}",
        description="",
        owner_agency="PGO",
        planned_start=date(2026, 1, 1),
        due_date=date(2026, 12, 31),
    )
    version = services.store.append(stream, planned, expected_version=0, actor=actor).version
    acknowledged: list[tuple[int, float, float]] = []
    started = time.monotonic()
    n = 0
    while (due := started + n * period) < started + seconds:
        if (wait := due - time.monotonic()) > 0:
            time.sleep(wait)
        sent = time.monotonic()
        result = services.store.append(
            stream, [progress_event(n)], expected_version=version, actor=actor
        )
        at = time.monotonic()
        version += 1
        acknowledged.append((result.events[0].position, at, at - sent))
        n += 1
    out.put(acknowledged)


def _work_until(url: str, config: Config, stop: EventType) -> None:
    """The worker: catch_up back to back (in production each append's wake-up queues
    the next run); when a run found nothing, look again in 1 ms."""
    services = bootstrap(config)
    while not stop.is_set():
        if not catch_up(services):
            time.sleep(0.001)


def measure(url: str, every: int, interval: int, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="rt-bench-key-") as folder:
        key = str(Path(folder) / "log-signing.key")
        create_key(key, "bench.example/log")
        config = Config(
            redis_url=url,
            key_prefix=PREFIX,
            log_key_file=key,
            checkpoint_every_events=every,
            checkpoint_interval_seconds=interval,
        )
        services = bootstrap(config)
        unlink_matching(services.redis, f"{{{PREFIX}}}*", f"{PREFIX}*")
        context = mp.get_context("fork")
        out: Queue = context.Queue()
        stop = context.Event()
        worker = context.Process(target=_work_until, args=(url, config, stop))
        appenders = [
            context.Process(target=_append_paced, args=(url, i, seconds + TAIL_SECONDS, out))
            for i in range(APPENDERS)
        ]
        sustained_until = time.monotonic() + seconds
        for process in [worker, *appenders]:
            process.start()
        # A reader polling GET /checkpoint would see a new checkpoint this late at most.
        covered: list[tuple[int, float]] = []  # (checkpoint size, first seen at)
        deadline = time.monotonic() + seconds + TAIL_SECONDS + interval + 10
        while time.monotonic() < deadline:
            latest = services.store.checkpoints.latest()
            if latest and (not covered or latest.size > covered[-1][0]):
                covered.append((latest.size, time.monotonic()))
            done = not any(process.is_alive() for process in appenders)
            if done and covered and covered[-1][0] >= services.store.head_position():
                break
            time.sleep(POLL_SECONDS)
        stop.set()
        appended = [row for _ in appenders for row in out.get(timeout=30)]
        acknowledged = [row for row in appended if row[1] <= sustained_until]
        for process in [worker, *appenders]:
            process.join(timeout=30)
        head = services.store.head_position()
        unlink_matching(services.redis, f"{{{PREFIX}}}*", f"{PREFIX}*")
    sizes = [size for size, _ in covered]
    latencies = []
    for position, at, _ in acknowledged:
        found = bisect.bisect_left(sizes, position)
        if found == len(sizes):
            raise RuntimeError(f"no checkpoint covers position {position} of {head}")
        latencies.append(max(covered[found][1] - at, 0.0))
    return {
        "events": len(acknowledged),
        "rate": len(acknowledged) / seconds,
        "checkpoints": len(covered),
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
        "append_p99": percentile([spent for _, _, spent in acknowledged], 0.99),
    }


def run(settings: Settings) -> Section:
    seconds = QUICK_SECONDS if settings.quick else FULL_SECONDS
    section = Section(
        NAME,
        notes=[
            f"{APPENDERS} appender processes at {RATE} events/s in all for {seconds:g} s; "
            "latency = from the append's acknowledgement to the first signed checkpoint "
            f"covering it, as seen by a reader polling the latest checkpoint every "
            f"{POLL_SECONDS * 1000:g} ms; the worker is a process calling catch_up back to back"
        ],
    )
    for every, interval in POLICIES:
        found = measure(settings.redis_url, every, interval, seconds)
        policy = f"checkpoint every {every} events or {interval} s"
        for label in ("p50", "p99", "max"):
            row = Row(
                f"{policy}, {found['rate']:.0f} events/s",
                f"{label} latency",
                "ms",
                found[label] * 1000,
                [round(found[label] * 1000, 3)],
                baseline=found["append_p99"] * 1000,
                baseline_case="p99 of the append itself",
                ratio=found[label] / found["append_p99"] if found["append_p99"] else None,
            )
            if label == "p99":
                row.target = f"< {TARGET_SECONDS * 1000:g} ms"
                row.met = found["p99"] < TARGET_SECONDS
            section.rows.append(row)
        section.notes.append(
            f"{policy}: {found['events']} events appended, {found['checkpoints']} "
            f"checkpoints signed"
        )
    return section


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.checkpoint_latency")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SECONDS:g} s per policy")
    parser.add_argument("--redis-url", help="use this Redis instead of starting one")
    options = parser.parse_args()
    with redis_url_or_own(options.redis_url, "checkpoint") as url:
        found = run(Settings.for_mode(url, options.quick))
    json.dump(found.to_dict(), sys.stdout, indent=2)
