"""Projector benchmark: events/s of one projecting worker against raw XRANGE reads of the
same log on the same Redis in the same run, and the time to rebuild every read model.

The log is real: milestones planned and carried through their lifecycle with the domain
decisions and appended by EventStore (hash chains and all). Run `python -m bench.projector`
(full: 1M events) or `python -m bench.projector --quick` (20k events).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, cast

import redis

from bench.own_redis import redis_url_or_own
from bench.projector_log import append_demo_log
from bench.workloads import unlink_matching
from service.bootstrap import Services, bootstrap
from service.dashboards.projector import Projector
from service.dashboards.rebuild import rebuild
from service.runtime.config import Config

QUICK_EVENTS = 20_000
FULL_EVENTS = 1_000_000
TARGET_EVENTS_PER_SECOND = 20_000
TARGET_REBUILD_SECONDS_PER_MILLION = 60.0
PREFIX = "bench-projector"


def raw_xrange_rate(services: Services, batch: int = 5000) -> float:
    """Events/s of reading the whole log with XRANGE, undecoded: the floor of any reader."""
    client = redis.Redis(
        connection_pool=redis.ConnectionPool(
            **{**services.redis.connection_pool.connection_kwargs, "decode_responses": False}
        )
    )
    started, after, count = time.perf_counter(), "-", 0
    while entries := client.xrange(services.keys.log, min=after, max="+", count=batch):
        count += len(entries)
        after = "(" + cast(bytes, entries[-1][0]).decode()
    client.close()
    return count / (time.perf_counter() - started)


def measure(services: Services, events: int) -> dict[str, Any]:
    generated = time.perf_counter()
    # Setup only: appends are measured elsewhere (Store append), so skip their fsyncs here
    # and measure the projector with fsync always, as it runs in production. The store's
    # durability guard would rightly refuse those appends: it is off for the setup only.
    fsync = str(services.redis.config_get("appendfsync")["appendfsync"])
    guard, services.store.guard = services.store.guard, None
    services.redis.config_set("appendfsync", "no")
    try:
        head = append_demo_log(services, events)
    finally:
        services.redis.config_set("appendfsync", fsync)
        services.store.guard = guard
    generate_seconds = time.perf_counter() - generated
    xrange_rate = raw_xrange_rate(services)
    started = time.perf_counter()
    projected = Projector(services).catch_up()
    project_seconds = time.perf_counter() - started
    report = rebuild(services, cleanup_delay=0)
    projector_rate = projected / project_seconds
    return {
        "events": head,
        "generate_seconds": generate_seconds,
        "xrange_rate": xrange_rate,
        "projector_rate": projector_rate,
        "rebuild_seconds": report.seconds,
    }


def _rows(found: dict[str, Any]) -> list[dict[str, Any]]:
    per_million = found["rebuild_seconds"] * 1_000_000 / found["events"]
    return [
        {
            "case": "projector, one worker",
            "metric": "events/s",
            "unit": "events/s",
            "value": round(found["projector_rate"]),
            "baseline": round(found["xrange_rate"]),
            "baseline_case": "raw XRANGE, undecoded",
            "ratio": round(found["projector_rate"] / found["xrange_rate"], 3),
            "target": f">= {TARGET_EVENTS_PER_SECOND}",
            "met": found["projector_rate"] >= TARGET_EVENTS_PER_SECOND,
        },
        {
            "case": f"rebuild of {found['events']} events",
            "metric": "seconds",
            "unit": "s",
            "value": round(found["rebuild_seconds"], 2),
            "target": f"< {TARGET_REBUILD_SECONDS_PER_MILLION:.0f} s per 1M events",
            "met": per_million < TARGET_REBUILD_SECONDS_PER_MILLION,
        },
    ]


def run(quick: bool = True, redis_url: str | None = None, events: int | None = None) -> dict:
    """The benchmark section: rows comparable across runs, plus the raw figures."""
    count = events or (QUICK_EVENTS if quick else FULL_EVENTS)
    with redis_url_or_own(redis_url, "projector") as url:
        services = bootstrap(Config(redis_url=url, key_prefix=PREFIX))
        unlink_matching(services.redis, f"{{{PREFIX}}}*")
        found = measure(services, count)
        unlink_matching(services.redis, f"{{{PREFIX}}}*")
    return {
        "rows": _rows(found),
        "raw": found,
        "notes": [f"log generated in {found['generate_seconds']:.1f} s (not timed)"],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.projector")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_EVENTS} events")
    parser.add_argument("--events", type=int, help="number of events (overrides the mode)")
    parser.add_argument("--redis-url", help="use this Redis instead of starting one")
    options = parser.parse_args()
    print(json.dumps(run(options.quick, options.redis_url, options.events), indent=2))
