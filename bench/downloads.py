"""Downloads: memory of a CSV, JSON and iCalendar download through the whole Flask app,
at 1,000, 10,000 and 50,000 milestones in the same run, against building the same body
in memory first (what a download that does not stream would do).

Setup writes the milestone read models of one programme directly with a pipeline (the
projector's format), growing the same programme from one size to the next, so only the
download is measured. Each measurement starts tracemalloc, sends the request through
the app's test client unbuffered, reads the body a chunk at a time and records the
traced peak; the baseline joins the same app's chunks into one body first. Memory that
stays flat from 1,000 to 50,000 rows is the point. Run `python -m bench.downloads`.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import orjson

from bench.own_redis import redis_url_or_own, run_section_from_command_line
from service.api.app import create_app
from service.bootstrap import Services, bootstrap
from service.dashboards.domain.readmodel import (
    MILESTONES,
    PROGRAMMES,
    MilestoneRecord,
    ProgrammeRecord,
)
from service.dashboards.readmodels import Layout, live_generations
from service.runtime.clock import FrozenClock
from service.runtime.config import Config

SIZES = (1_000, 10_000, 50_000)
QUICK_SIZES = (1_000, 2_000)  # --quick: two sizes past a full page (500 rows)
FORMATS = ("csv", "json", "ics")
PREFIX = "bench-downloads"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PROGRAMME = "20000000-0000-4000-8000-000000000001"
FLAT_WITHIN = 1.5  # the streamed peak at 50,000 rows, at most this times the peak at 1,000


def record(number: int) -> MilestoneRecord:
    due = NOW.date() + timedelta(days=(number % 400) - 200)
    return MilestoneRecord(
        milestone_id=f"00000000-0000-4000-8000-{number:012d}",
        initiative_id=f"10000000-0000-4000-8000-{number % 50:012d}",
        programme_id=PROGRAMME,
        title=f"Milestone {number}: body cameras for guard duty, unit {number % 97}",
        owner_agency=f"Agency {number % 40}",
        planned_start="2026-01-15",
        planned_due_date=(due - timedelta(days=number % 30)).isoformat(),
        due_date=due.isoformat(),
        status=("planned", "in_progress", "reported_complete", "verified")[number % 4],
        progress=number % 101,
        slip_days=number % 30,
        replan_count=1 if number % 30 else 0,
        last_update="2026-11-20T10:00:00.000000Z",
    )


def grow(services: Services, start: int, stop: int) -> None:
    layout = Layout(services.keys, live_generations(services.redis, services.keys))
    programme = ProgrammeRecord(PROGRAMME, "Army reform 2026", "", "PGO", NOW.isoformat(), 1)
    pipe = services.redis.pipeline(transaction=False)
    pipe.hset(layout.records(PROGRAMMES), PROGRAMME, orjson.dumps(programme))
    members = layout.members(PROGRAMMES, "milestones", PROGRAMME)
    for number in range(start, stop):
        milestone = record(number)
        pipe.hset(layout.records(MILESTONES), milestone.milestone_id, orjson.dumps(milestone))
        pipe.sadd(members, milestone.milestone_id)
        if number % 5000 == 4999:
            pipe.execute()
    pipe.execute()


def clear(services: Services) -> None:
    for pattern in (f"{{{PREFIX}}}*", f"{{{PREFIX}:rm}}*", f"{{{PREFIX}:admin}}*"):
        keys = list(services.redis.scan_iter(match=pattern, count=5000))
        for start in range(0, len(keys), 5000):
            services.redis.unlink(*keys[start : start + 5000])


def path(kind: str) -> str:
    if kind == "ics":
        return f"/programmes/{PROGRAMME}/calendar.ics"
    return f"/programmes/{PROGRAMME}/dashboard/milestones.{kind}"


def traced(download: Callable[[], int]) -> tuple[float, int]:
    """(peak traced KiB, bytes downloaded)."""
    gc.collect()
    tracemalloc.start()
    try:
        size = download()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024, size


def measure(
    services: Services, sizes: tuple[int, ...], repetitions: int
) -> dict[str, dict[int, dict[str, list[float]]]]:
    client = create_app(services=services).test_client()

    def streamed(kind: str) -> int:
        response = client.get(path(kind), buffered=False)
        assert response.status_code == 200, response.status_code
        size = sum(len(chunk) for chunk in response.response)
        response.close()
        return size

    def whole(kind: str) -> int:
        response = client.get(path(kind), buffered=False)
        body = b"".join(
            chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in response.response
        )
        response.close()
        return len(body)

    samples: dict[str, dict[int, dict[str, list[float]]]] = {k: {} for k in FORMATS}
    grown = 0
    for size in sizes:
        grow(services, grown, size)
        grown = size
        for kind in FORMATS:
            found: dict[str, list[float]] = {"streamed": [], "whole": [], "bytes": []}
            for _ in range(repetitions):
                peak, length = traced(partial(streamed, kind))
                found["streamed"].append(peak)
                found["bytes"].append(length)
                found["whole"].append(traced(partial(whole, kind))[0])
            samples[kind][size] = found
    return samples


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _rows(samples: dict[str, dict[int, dict[str, list[float]]]]) -> list[dict[str, Any]]:
    rows = []
    for kind, by_size in samples.items():
        sizes = sorted(by_size)
        smallest = _median(by_size[sizes[0]]["streamed"])
        for size, found in by_size.items():
            streamed, whole = _median(found["streamed"]), _median(found["whole"])
            last = size == sizes[-1]
            rows.append(
                {
                    "case": f"{kind.upper()} download, {size:,} rows "
                    f"({_median(found['bytes']) / 1e6:.1f} MB)",
                    "metric": "peak traced memory",
                    "unit": "KiB",
                    "value": round(streamed, 1),
                    "samples": [round(v, 1) for v in found["streamed"]],
                    "baseline": round(whole, 1),
                    "baseline_case": "the same body built in memory first",
                    "ratio": round(streamed / whole, 4),
                    "target": f"<= {FLAT_WITHIN}x the peak at {sizes[0]:,} rows" if last else None,
                    "met": streamed <= FLAT_WITHIN * smallest if last else None,
                }
            )
    return rows


def run(quick: bool = True, redis_url: str | None = None) -> dict[str, Any]:
    """The benchmark section. One repetition per case: a traced peak hardly varies, and
    tracing makes the 50,000-row cases slow (minutes). Quick mode uses small tables."""
    sizes, repetitions = (QUICK_SIZES if quick else SIZES), 1
    with redis_url_or_own(redis_url, "downloads") as url:
        config = Config(redis_url=url, key_prefix=PREFIX, public_read=True, log_level="WARNING")
        services = bootstrap(config, clock=FrozenClock(NOW))
        clear(services)
        samples = measure(services, sizes, repetitions)
        clear(services)
    flat = {
        kind: round(
            _median(by_size[sizes[-1]]["streamed"]) / _median(by_size[sizes[0]]["streamed"]), 2
        )
        for kind, by_size in samples.items()
    }
    return {
        "rows": _rows(samples),
        "notes": [
            f"one programme grown to {', '.join(f'{s:,}' for s in sizes)} milestone read "
            f"models (written directly, not measured); {repetitions} run per case",
            f"streamed peak at {sizes[-1]:,} rows / at {sizes[0]:,} rows: "
            + ", ".join(f"{kind} {ratio}x" for kind, ratio in flat.items()),
            "tracemalloc traces Python allocations (the app, the read-model pages, the "
            "writers), not Redis's memory",
        ],
    }


if __name__ == "__main__":
    run_section_from_command_line(
        "python -m bench.downloads", run, "1,000 and 2,000 rows, not 50,000"
    )
