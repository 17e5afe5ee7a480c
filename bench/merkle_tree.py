"""Merkle tree benchmark: growing the tree over a large sealed log, its Redis memory, and
inclusion and consistency proofs served from it by the real store (MerkleTree).

The log is real but written in bulk (100 events per append, fsync off during the setup,
as the projector benchmark does): appends are measured in Store append. Sealing, growing
the tree and answering proofs run with the production code and fsync always. Baselines
from the same run: the sealer's pass over the same log (for growing), the global log
stream's memory (for the tree's), and one HGET round trip to the same server (for proofs).
Run `python -m bench.merkle_tree [--quick]` for this section alone.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
import uuid
from collections.abc import Callable

from bench.own_redis import redis_url_or_own
from bench.results import Row, Section, compared, percentile
from bench.settings import Settings
from bench.workloads import progress_event, unlink_matching
from service.bootstrap import Services, bootstrap
from service.ledger.domain.chain import Actor
from service.runtime.config import Config

NAME = "Merkle tree"
QUICK_EVENTS = 20_000
FULL_EVENTS = 1_000_000
PROOFS_QUICK = 200  # per repetition
PROOFS_FULL = 1_000
EVENTS_PER_APPEND = 100
TARGET_P99_MS = 5.0
PREFIX = "bench-tree"
ACTOR = Actor(token_id="bench", role="reporter", agency="PGO")


def build_log(services: Services, events: int) -> None:
    """Append ``events`` events, 100 per call, each call a new milestone stream."""
    fsync = str(services.redis.config_get("appendfsync")["appendfsync"])
    guard, services.store.guard = services.store.guard, None
    services.redis.config_set("appendfsync", "no")
    try:
        for start in range(0, events, EVENTS_PER_APPEND):
            batch = [progress_event(n) for n in range(start, min(events, start + 100))]
            services.store.append(
                f"milestone-{uuid.uuid4()}", batch, expected_version=0, actor=ACTOR
            )
    finally:
        services.redis.config_set("appendfsync", fsync)
        services.store.guard = guard


def _latencies_ms(call: Callable[[], object], count: int) -> list[float]:
    found = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        found.append((time.perf_counter() - started) * 1000)
    return found


def _proof_rows(services: Services, size: int, settings: Settings) -> list[Row]:
    tree, rng = services.store.tree, random.Random(12)
    count = PROOFS_QUICK if settings.quick else PROOFS_FULL
    p99: dict[str, list[float]] = {"inclusion": [], "consistency": [], "hget": [], "root": []}
    p50: dict[str, list[float]] = {name: [] for name in p99}
    longest = {"inclusion": 0, "consistency": 0}

    def inclusion() -> None:
        proof = tree.inclusion(rng.randint(1, size), size)
        longest["inclusion"] = max(longest["inclusion"], 32 * len(proof.hashes))

    def consistency() -> None:
        proof = tree.consistency(rng.randint(1, size), size)
        longest["consistency"] = max(longest["consistency"], 32 * len(proof.hashes))

    calls: dict[str, Callable[[], object]] = {
        "inclusion": inclusion,
        "consistency": consistency,
        "hget": lambda: services.redis.hget(services.keys.tree, "size"),
        "root": lambda: tree.root(size),
    }
    for _ in range(settings.repetitions):
        for name, call in calls.items():
            samples = _latencies_ms(call, count)
            p50[name].append(percentile(samples, 0.5))
            p99[name].append(percentile(samples, 0.99))
    rows = []
    for name in ("inclusion", "consistency"):
        case = f"{name} proof, random {'position' if name == 'inclusion' else 'old size'}"
        for label, figures in (("p50", p50), ("p99", p99)):
            row = compared(
                f"{case}, tree of {size}",
                f"{label} latency",
                "ms",
                figures[name],
                figures["hget"],
                "one HGET round trip",
            )
            if label == "p99":
                row.target = f"< {TARGET_P99_MS:g} ms"
                row.met = row.value < TARGET_P99_MS
            rows.append(row)
    rows.append(
        compared(
            f"root of the tree of {size}",
            "p99 latency",
            "ms",
            p99["root"],
            p99["hget"],
            "one HGET round trip",
        )
    )
    bound = 32 * math.ceil(math.log2(size))
    for name in ("inclusion", "consistency"):
        row = Row(
            f"{name} proof, tree of {size}",
            "largest proof seen",
            "bytes",
            longest[name],
            [longest[name]],
            target=f"<= 32·⌈log2 n⌉ = {bound} bytes",
            met=longest[name] <= bound,
        )
        rows.append(row)
    return rows


def run(settings: Settings, events: int | None = None) -> Section:
    size = events or (QUICK_EVENTS if settings.quick else FULL_EVENTS)
    count = PROOFS_QUICK if settings.quick else PROOFS_FULL
    section = Section(NAME)
    services = bootstrap(Config(redis_url=settings.redis_url, key_prefix=PREFIX))
    unlink_matching(services.redis, f"{{{PREFIX}}}*")
    try:
        started = time.perf_counter()
        build_log(services, size)
        section.notes.append(
            f"{size} events appended in bulk in {time.perf_counter() - started:.1f} s "
            f"({EVENTS_PER_APPEND} per call, fsync off; not timed)"
        )
        started = time.perf_counter()
        services.store.sealer.seal_all()
        seal_seconds = time.perf_counter() - started
        # MEMORY USAGE, not a used_memory delta: other sections free memory lazily.
        log_memory = int(services.redis.memory_usage(services.keys.log, samples=0) or 0)
        started = time.perf_counter()
        grown = services.store.tree.grow_all()
        grow_seconds = time.perf_counter() - started
        tree_memory = int(services.redis.memory_usage(services.keys.tree, samples=0) or 0)
        assert grown == size, f"the tree grew by {grown}, not {size}"
        section.rows += [
            compared(
                f"grow the tree over {size} sealed events",
                "seconds",
                "s",
                [grow_seconds],
                [seal_seconds],
                "sealing the same events",
            ),
            compared(
                f"tree of {size} events (one hash of complete subtrees)",
                "memory per event",
                "bytes",
                [tree_memory / size],
                [log_memory / size],
                "the global log stream, one copy of each event",
            ),
            *_proof_rows(services, size, settings),
        ]
        depth = math.ceil(math.log2(size))
        longest = {row.case.split()[0]: int(row.value) // 32 for row in section.rows[-2:]}
        section.notes += [
            f"growing: {size / grow_seconds:,.0f} events/s, fsync always",
            f"largest proofs seen: inclusion {longest['inclusion']} hashes, consistency "
            f"{longest['consistency']} hashes; ⌈log2 n⌉ = {depth}. An RFC 9162 consistency "
            f"proof holds up to ⌈log2 n⌉ + 1 hashes for some old sizes (e.g. 2^k − 1)",
            "appends do no tree work: the worker grows the tree after sealing, and "
            "append.lua neither reads nor writes it (see Store append for its throughput)",
            f"proofs: {count} random positions (inclusion) and old sizes (consistency) per "
            f"repetition, each against the full tree, through MerkleTree on one connection; "
            f"figures are medians of the per-repetition p50/p99",
        ]
    finally:
        unlink_matching(services.redis, f"{{{PREFIX}}}*")
    return section


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.merkle_tree")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_EVENTS} events")
    parser.add_argument("--events", type=int, help="number of events (overrides the mode)")
    parser.add_argument("--redis-url", help="use this Redis instead of starting one")
    options = parser.parse_args()
    with redis_url_or_own(options.redis_url, "tree") as url:
        found = run(Settings.for_mode(url, options.quick), options.events)
    json.dump(found.to_dict(), sys.stdout, indent=2)
