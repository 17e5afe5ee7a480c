"""Overdue scan: one scan over 100k milestones of which 100 are due within the longest
lead time, against reading every milestone record and filtering (what a scan without the
due-date index would have to do), on the same Redis in the same run.

Setup writes the milestone read models and the due-date index directly with a pipeline
(the projector's format), so only the scan is timed. Two scan cases: the first scan,
which appends 100 AlertRaised events (appendfsync always), and a steady-
state scan that finds everything already raised. Run `python -m bench.overdue_scan`.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from bench.own_redis import run_section_from_command_line
from service.alerts.scan import OverdueScanner
from service.bootstrap import Services, bootstrap
from service.dashboards.domain.readmodel import MILESTONES, MilestoneRecord
from service.dashboards.readmodels import Layout, live_generations
from service.runtime.clock import FrozenClock
from service.runtime.config import Config
from service.runtime.redis_server import RedisServer

MILESTONES_TOTAL = 100_000
DUE = 100
TARGET_MS = 50.0
PREFIX = "bench-alerts"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def record(number: int, due: date) -> MilestoneRecord:
    return MilestoneRecord(
        milestone_id=f"00000000-0000-4000-8000-{number:012d}",
        initiative_id=f"10000000-0000-4000-8000-{number % 500:012d}",
        programme_id=f"20000000-0000-4000-8000-{number % 20:012d}",
        title=f"Milestone {number}",
        owner_agency=f"Agency {number % 40}",
        planned_start="2026-01-15",
        planned_due_date=due.isoformat(),
        due_date=due.isoformat(),
        status="in_progress",
    )


def populate(services: Services, total: int, due: int) -> None:
    """``due`` milestones within 14 days (overdue, due in 3, due in 14), the rest later."""
    today = NOW.date()
    layout = Layout(services.keys, live_generations(services.redis, services.keys))
    pipe = services.redis.pipeline(transaction=False)
    for number in range(total):
        # Due ones spread from 15 days overdue to 14 days ahead; the rest 30+ days ahead.
        due_date = today + timedelta(days=(number % 30) - 15 if number < due else 30 + number % 900)
        milestone = record(number, due_date)
        pipe.hset(layout.records(MILESTONES), milestone.milestone_id, orjson.dumps(milestone))
        pipe.zadd(layout.due, {milestone.milestone_id: due_date.toordinal()})
        if number % 5000 == 4999:
            pipe.execute()
    pipe.execute()


def without_index(services: Services) -> int:
    """The alternative: read every record and keep those due within 14 days."""
    layout = Layout(services.keys, live_generations(services.redis, services.keys))
    horizon = (NOW.date() + timedelta(days=14)).isoformat()
    found = 0
    for _key, raw in services.redis.hscan_iter(layout.records(MILESTONES), count=5000):
        if orjson.loads(raw)["due_date"] <= horizon:
            found += 1
    return found


def clear(services: Services, alerts_only: bool) -> None:
    # The log's keys are every key of the deployment but its read models (rm:) and
    # administration (admin:); of the read models, only the alerts go.
    patterns = [f"{{{PREFIX}}}:[^ra]*", f"{{{PREFIX}}}:rm:alerts:*"]
    if not alerts_only:
        patterns = [f"{{{PREFIX}}}*"]
    for pattern in patterns:
        keys = list(services.redis.scan_iter(match=pattern, count=5000))
        for start in range(0, len(keys), 5000):
            services.redis.unlink(*keys[start : start + 5000])


def timed(action: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return (time.perf_counter() - started) * 1000, result


def measure(services: Services, repetitions: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"first": [], "steady": [], "without_index": []}
    for _ in range(repetitions):
        clear(services, alerts_only=True)
        first_ms, first = timed(OverdueScanner(services).scan)
        steady_ms, steady = timed(OverdueScanner(services).scan)
        naive_ms, naive = timed(lambda: without_index(services))
        assert first.appended == {"AlertRaised": DUE} and not steady.appended, (first, steady)
        assert naive == DUE
        samples["first"].append(first_ms)
        samples["steady"].append(steady_ms)
        samples["without_index"].append(naive_ms)
    return samples


def _rows(samples: dict[str, list[float]], total: int) -> list[dict[str, Any]]:
    def median(name: str) -> float:
        return float(statistics.median(samples[name]))

    def ratio(name: str) -> float:
        pairs = zip(samples[name], samples["without_index"], strict=True)
        return round(statistics.median(a / b for a, b in pairs), 4)

    rows = []
    for name, case in (
        ("steady", "steady-state scan (all raised)"),
        ("first", f"first scan (appends {DUE} AlertRaised, fsync always)"),
    ):
        rows.append(
            {
                "case": f"{case}, {DUE} due of {total}",
                "metric": "scan time",
                "unit": "ms",
                "value": round(median(name), 2),
                "samples": [round(v, 2) for v in samples[name]],
                "baseline": round(median("without_index"), 2),
                "baseline_case": f"reading all {total} records and filtering (no index)",
                "ratio": ratio(name),
                "target": f"< {TARGET_MS:.0f} ms",
                "met": median(name) < TARGET_MS,
            }
        )
    return rows


def run(quick: bool = True, redis_url: str | None = None) -> dict[str, Any]:
    """The benchmark section. Quick mode uses fewer repetitions, not fewer milestones."""
    repetitions = 3 if quick else 7
    with tempfile.TemporaryDirectory(prefix="rt-bench-alerts-") as data_dir:
        server = None
        if redis_url is None:
            server = RedisServer(Path(data_dir)).start()
            redis_url = server.url
        try:
            services = bootstrap(
                Config(redis_url=redis_url, key_prefix=PREFIX), clock=FrozenClock(NOW)
            )
            clear(services, alerts_only=False)
            setup_ms, _ = timed(lambda: populate(services, MILESTONES_TOTAL, DUE))
            samples = measure(services, repetitions)
            clear(services, alerts_only=False)
        finally:
            if server:
                server.stop()
    return {
        "rows": _rows(samples, MILESTONES_TOTAL),
        "raw": samples,
        "notes": [
            f"{MILESTONES_TOTAL} milestone read models and the due-date index written "
            f"directly in {setup_ms / 1000:.1f} s (not timed); median of {repetitions} runs",
            "a scan costs one ZRANGEBYSCORE on the due-date index, one HMGET of the due "
            "milestones' records and the alert feed's sync; the first scan also appends "
            "one event per new alert",
        ],
    }


if __name__ == "__main__":
    run_section_from_command_line("python -m bench.overdue_scan", run, "3 repetitions instead of 7")
