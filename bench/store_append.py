"""Store append: EventStore.append against a raw redis-py XADD loop.

Both run against the same redis-server (AOF, appendfsync always) at the same
concurrency, in the same repetition, alternating which goes first. While ours runs, a
sealer process chains the global log alongside, as the worker does in production, so
its cost is in the figures; one diagnostic row says how far behind it was when the
clients stopped. Another gives the CPU each event cost (all client processes, the
sealer and redis-server, from their CPU times), which on a machine whose cores are busy
decides the throughput; a third the throughput when each call carries ten events.
"""

from __future__ import annotations

import os
from pathlib import Path

import redis

from bench.clients import CONCURRENCY_MODEL, ClientFactory, run_clients
from bench.results import Row, Section, compared, percentile
from bench.settings import Settings
from bench.workloads import (
    STREAMS_PER_CLIENT,
    event_store_clients,
    raw_xadd_clients,
    sample_record,
    sealing,
)

NAME = "Store append"
TARGET_EVENTS_PER_SECOND = 15_000
TARGET_RATIO = 0.5
BATCH = 10


def _measure(
    admin: redis.Redis,
    factory: ClientFactory,
    concurrency: int,
    seconds: float,
    events_per_call: int = 1,
    redis_url: str | None = None,
) -> list[float]:
    """events/s, p50 ms, p99 ms, CPU µs per event (every client, the sealer and
    redis-server) and, with a ``redis_url``, the events a sealer running alongside had not
    sealed yet when the clients stopped; for one run."""
    admin.flushall()
    admin.config_resetstat()
    redis_pid = int(admin.info("server")["process_id"])
    cpu_before = _children_cpu() + _process_cpu(redis_pid)
    if redis_url is None:
        result, lag = run_clients(factory, concurrency, seconds), 0
    else:
        with sealing(redis_url) as store:
            result = run_clients(factory, concurrency, seconds)
            lag = store.head_position() - store.sealer.sealed_position()
    cpu = _children_cpu() + _process_cpu(redis_pid) - cpu_before
    events = max(result.operations * events_per_call, 1)
    return [
        result.per_second * events_per_call,
        percentile(result.latencies, 0.50) * 1000,
        percentile(result.latencies, 0.99) * 1000,
        lag,
        cpu / events * 1e6,
    ]


def _children_cpu() -> float:
    """CPU seconds of the client (and sealer) processes this process has waited for."""
    times = os.times()
    return times.children_user + times.children_system


def _process_cpu(pid: int) -> float:
    """CPU seconds redis-server has used so far (it runs on this machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(settings: Settings) -> Section:
    section = Section(
        NAME,
        notes=[
            f"clients are {CONCURRENCY_MODEL}",
            f"each client appends ProgressReported events round-robin to its own "
            f"{STREAMS_PER_CLIENT} milestone streams; baseline: raw redis-py XADD of an "
            f"encoded event of the same size, one round trip per event",
        ],
    )
    admin = redis.Redis.from_url(settings.redis_url)
    url, encoded = settings.redis_url, sample_record()
    for concurrency in settings.concurrency:
        runs = {"ours": event_store_clients(url), "raw": raw_xadd_clients(url, encoded)}
        if concurrency in (min(settings.concurrency), max(settings.concurrency)):
            runs["batched"] = event_store_clients(url, BATCH)
        samples: dict[str, list[list[float]]] = {kind: [] for kind in runs}
        for repetition in range(settings.repetitions):
            kinds = list(runs) if repetition % 2 == 0 else list(reversed(runs))
            for kind in kinds:
                per_call = BATCH if kind == "batched" else 1
                sealer = None if kind == "raw" else url
                samples[kind].append(
                    _measure(admin, runs[kind], concurrency, settings.seconds, per_call, sealer)
                )
        section.rows.extend(_rows(concurrency, samples))
    admin.flushall()
    admin.close()
    return section


def _column(samples: list[list[float]], column: int) -> list[float]:
    return [sample[column] for sample in samples]


def _rows(concurrency: int, samples: dict[str, list[list[float]]]) -> list[Row]:
    clients = f"{concurrency} client{'s' if concurrency > 1 else ''}"
    case, baseline = f"EventStore.append, {clients}", f"raw XADD, {clients}"
    ours, raw = samples["ours"], samples["raw"]
    rows = [
        compared(case, metric, unit, _column(ours, column), _column(raw, column), baseline)
        for column, (metric, unit) in enumerate(
            [("throughput", "events/s"), ("p50 latency", "ms"), ("p99 latency", "ms")]
        )
    ]
    if concurrency == 16:
        throughput = rows[0]
        throughput.target = f">= {TARGET_EVENTS_PER_SECOND} events/s and >= 50% of raw"
        throughput.met = (
            throughput.value >= TARGET_EVENTS_PER_SECOND and (throughput.ratio or 0) >= TARGET_RATIO
        )
    rows.append(compared(case, "CPU per event", "µs", _column(ours, 4), _column(raw, 4), baseline))
    rows.append(compared(case, "unsealed when the clients stopped", "events", _column(ours, 3)))
    if "batched" in samples:
        rows.append(
            compared(
                f"EventStore.append, {clients}, {BATCH} events per call",
                "throughput",
                "events/s",
                _column(samples["batched"], 0),
                _column(raw, 0),
                baseline,
            )
        )
    return rows
