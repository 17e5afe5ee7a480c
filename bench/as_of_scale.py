"""As-of overview at scale: the answer for a past day from its end-of-day snapshot plus the
rest of that day's events, against the full replay of the log from position 0 (how every
as-of answer was computed before the snapshots), in the same run on the same Redis.

The log is months of history, one day after another (bench/scale_log.py), appended with
the store's batch append and fsync off (appends are measured in "Store append"). The
projector folds the days before the measured window without snapshots and the window's
days with them: writing and digesting a snapshot of a large model at every one of 365
boundaries would take most of the run, and a day's snapshot costs an as-of answer the
same whether 30 or 365 of them exist. Both answers are compared for the baseline's days.
Answers with nothing remembered in the process read the roll-ups stored with the
snapshot; answers for other rules than those find none and compute every roll-up.

Run `python -m bench.as_of_scale` (full: 1,000,000 events over 365 days) or `--quick`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.own_redis import redis_url_or_own
from bench.results import compared, percentile
from bench.scale_log import append_history
from bench.workloads import unfsynced_setup, unlink_matching
from service.bootstrap import Services, bootstrap
from service.dashboards.as_of import fold_log
from service.dashboards.domain.dashboards import overview
from service.dashboards.end_of_day import days_key, stamp_of
from service.dashboards.projector import Projector
from service.dashboards.queries import DashboardQueries
from service.dashboards.snapshot_checks import latest_before
from service.dashboards.stored_rollups import store_rollups
from service.dashboards.summary_memo import PROCESS_MEMO
from service.runtime import heap
from service.runtime.clock import FrozenClock
from service.runtime.config import Config

PREFIX = "bench-asof"
LAST_DAY = date(2026, 11, 29)
TARGET_P99_MS = 100.0
SIZES = {  # events, days, days with snapshots, timed answers, full replays
    True: (10_000, 30, 8, 40, 2),
    False: (1_000_000, 365, 10, 300, 3),
}
COLD = {True: 10, False: 40}  # answers timed with nothing remembered in the process


def build(services: Services, clock: FrozenClock, events: int, days: int, window: int) -> dict:
    """The log, projected; the seconds each part took (setup, not timed figures)."""
    started = time.perf_counter()
    projected = {"seconds": 0.0}

    def after_day(number: int) -> None:
        if number == days - window - 1:  # the days before the window: no snapshots
            begun = time.perf_counter()
            Projector(services, end_of_day=False).catch_up()
            projected["seconds"] += time.perf_counter() - begun

    with unfsynced_setup(services):
        history = append_history(
            services, clock, last_day=LAST_DAY, days=days, events=events, after_day=after_day
        )
        begun = time.perf_counter()
        Projector(services).catch_up()
        projected["seconds"] += time.perf_counter() - begun
    # What storing a day's roll-ups adds to the projector's work at a day boundary (the
    # last snapshot's, written again: the same contents).
    client, keys = services.redis, services.keys
    last = stamp_of(client, keys, latest_before(client, keys, LAST_DAY)[0])
    assert last is not None
    begun = time.perf_counter()
    stored = store_rollups(services)(last)
    return {
        "rollups_seconds": time.perf_counter() - begun,
        "rollups_stored": stored,
        "events": history.head,
        "milestones": history.milestones,
        "setup_seconds": time.perf_counter() - started,
        "project_seconds": projected["seconds"],
        "snapshots": services.redis.zcard(days_key(services.keys)),
    }


def measure_apart(url: str, quick: bool, window: int) -> dict[str, Any]:
    """``measure`` in a process of its own, as an API process answers: not beside the
    millions of objects the set-up left in this one, which the garbage collector would
    walk in the middle of answers; and with what start-up left settled, as a gunicorn
    worker does once it has loaded the app (service/runtime/heap.py)."""
    context = mp.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(_measure_in_child, (url, quick, window))


def _measure_in_child(url: str, quick: bool, window: int) -> dict[str, Any]:
    clock = FrozenClock(datetime.combine(LAST_DAY, datetime.min.time(), UTC))
    services = bootstrap(Config(redis_url=url, key_prefix=PREFIX), clock=clock)
    heap.settle()
    return measure(services, clock, quick, window)


def measure(services: Services, clock: FrozenClock, quick: bool, window: int) -> dict[str, Any]:
    _, _, _, timed, replays = SIZES[quick]
    clock.set(datetime.combine(LAST_DAY + timedelta(days=1), datetime.min.time(), UTC))
    queries = DashboardQueries(services)
    rng = random.Random(3)
    # Days whose snapshot the projector wrote (the last day has none: it is not over).
    candidates = [LAST_DAY - timedelta(days=n) for n in range(1, window)]
    cold = []
    for _ in range(COLD[quick]):
        day = rng.choice(candidates)
        PROCESS_MEMO.clear()  # nothing remembered, as in a process that just started
        started = time.perf_counter()
        queries.overview(day)
        cold.append(time.perf_counter() - started)
    # Other rules than those the snapshots' roll-ups were stored for: every roll-up read
    # and computed, as before they were stored (and after a deployment changes its rules).
    other = DashboardQueries(services)
    other.rules = replace(other.rules, summary_rows=other.rules.summary_rows + 1)
    computed = []
    for _ in range(COLD[quick]):
        day = rng.choice(candidates)
        PROCESS_MEMO.clear()
        started = time.perf_counter()
        other.overview(day)
        computed.append(time.perf_counter() - started)
    PROCESS_MEMO.clear()
    first_use = []
    for day in candidates:
        started = time.perf_counter()
        queries.overview(day)  # the day's first answer in this process
        first_use.append(time.perf_counter() - started)
    latencies = []
    for _ in range(timed):
        day = rng.choice(candidates)
        started = time.perf_counter()
        queries.overview(day)
        latencies.append(time.perf_counter() - started)
    baseline = []
    for day in rng.sample(candidates, replays):
        started = time.perf_counter()
        folded = fold_log(services.store, day)
        replayed = overview(folded, day, queries.rules)
        baseline.append(time.perf_counter() - started)
        if queries.overview(day)["programmes"] != replayed:
            raise AssertionError(f"as-of {day}: the snapshot's answer differs from the replay")
    return {
        "latencies": latencies,
        "first_use": first_use,
        "cold": cold,
        "computed": computed,
        "baseline": baseline,
    }


def _rows(built: dict[str, Any], found: dict[str, Any]) -> list[dict[str, Any]]:
    case = f"as-of overview, {built['events']:,} events"
    replay = _ms(found["baseline"])
    return [
        *_pair(case + ", roll-ups remembered", _ms(found["latencies"]), replay, target=True),
        *_pair(
            case + ", nothing remembered in the process (a new process, or the day's first "
            "answer): roll-ups stored with the snapshot",
            _ms(found["cold"] + found["first_use"]),
            replay,
            target=True,
        ),
        *_pair(
            case + ", nothing remembered or stored (rules other than the stored roll-ups': "
            "every roll-up computed)",
            _ms(found["computed"]),
            replay,
            target=False,
        ),
    ]


def _ms(seconds: list[float]) -> list[float]:
    return [value * 1000 for value in seconds]


def _pair(
    case: str, samples: list[float], replay: list[float], *, target: bool
) -> list[dict[str, Any]]:
    """The p50 and p99 rows of ``samples`` beside the full replay's; the p99 against the
    target if ``target``."""
    rows = []
    for name, q in (("p50", 0.5), ("p99", 0.99)):
        value, baseline = round(percentile(samples, q), 2), round(percentile(replay, q), 1)
        row = compared(
            case, f"{name} latency", "ms", [value], [baseline], "full replay from position 0"
        ).to_dict()
        if target and name == "p99":
            row |= {"target": f"< {TARGET_P99_MS:.0f} ms", "met": value < TARGET_P99_MS}
        rows.append(row)
    return rows


def run(
    quick: bool = True,
    redis_url: str | None = None,
    events: int | None = None,
    days: int | None = None,
) -> dict[str, Any]:
    size_events, size_days, window, _, _ = SIZES[quick]
    events, days = events or size_events, days or size_days
    window = min(window, days - 1)
    with redis_url_or_own(redis_url, "asof") as url:
        clock = FrozenClock(datetime.combine(LAST_DAY, datetime.min.time(), UTC))
        services = bootstrap(Config(redis_url=url, key_prefix=PREFIX), clock=clock)
        patterns = f"{{{PREFIX}}}*", f"{{{PREFIX}:rm}}*"
        unlink_matching(services.redis, *patterns)
        try:
            built = build(services, clock, events, days, window)
            found = measure_apart(url, quick, window)
        finally:
            unlink_matching(services.redis, *patterns)
    per_day = built["events"] / days
    return {
        "rows": _rows(built, found),
        "raw": {**built, **found},
        "notes": [
            f"{built['events']:,} events, {built['milestones']:,} milestones over {days} days "
            f"(~{per_day:,.0f} events a day); set up in {built['setup_seconds']:.0f} s, of "
            f"which projecting {built['project_seconds']:.0f} s, {built['snapshots']} "
            f"end-of-day snapshots (the last {window} days); {len(found['latencies'])} "
            f"answers timed over those days after each was read once (each scope's "
            f"roll-up remembered), {len(found['cold']) + len(found['first_use'])} with "
            f"nothing remembered (each day's first answer, and answers after clearing), "
            f"{len(found['baseline'])} full replays (answers compared equal); storing a "
            f"day's roll-ups ({built['rollups_stored']} of them, staff and public) took "
            f"{built['rollups_seconds'] * 1000:,.0f} ms of the projector's day boundary",
        ],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.as_of_scale")
    parser.add_argument("--quick", action="store_true", help="10,000 events over 30 days")
    parser.add_argument("--events", type=int, help="number of events (overrides the mode)")
    parser.add_argument("--days", type=int, help="days the events span (overrides the mode)")
    parser.add_argument("--redis-url", help="use this Redis instead of starting one")
    options = parser.parse_args()
    result = run(options.quick, options.redis_url, options.events, options.days)
    print(json.dumps({k: v for k, v in result.items() if k != "raw"}, indent=2))
