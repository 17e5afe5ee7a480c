"""Concurrent benchmark clients as processes, not threads.

The GIL would serialise Python threads, so a thread-based load test would measure the
interpreter lock rather than the store. Each client is a forked process with its own
connection; all of them wait on a barrier and then run one operation in a loop until a
shared deadline, timing every call.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier
from typing import Any

# A client factory runs inside the child process: it opens its own connections and
# returns the operation to repeat; the operation receives the iteration number.
Operation = Callable[[int], None]
ClientFactory = Callable[[int], Operation]

CONCURRENCY_MODEL = "processes (multiprocessing, fork), one connection each"


@dataclass(frozen=True)
class ClientRun:
    operations: int
    seconds: float
    latencies: list[float]  # seconds, every operation of every client

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds if self.seconds > 0 else 0.0


def _client(
    factory: ClientFactory, index: int, barrier: Barrier, seconds: float, results: Any
) -> None:
    try:
        operation = factory(index)
        barrier.wait(timeout=60)
        started = time.perf_counter()
        deadline = started + seconds
        latencies: list[float] = []
        count = 0
        now = started
        while now < deadline:
            operation(count)
            after = time.perf_counter()
            latencies.append(after - now)
            now = after
            count += 1
        results.put((index, count, started, now, latencies, None))
    except BaseException as error:  # reported to the parent, which raises it
        barrier.abort()
        results.put((index, 0, 0.0, 0.0, [], f"{type(error).__name__}: {error}"))


def run_clients(factory: ClientFactory, concurrency: int, seconds: float) -> ClientRun:
    """Run ``concurrency`` clients for ``seconds``; throughput is over the union of runs.

    perf_counter is CLOCK_MONOTONIC on Linux, so start and end times from different
    processes are comparable.
    """
    context = mp.get_context("fork")
    barrier = context.Barrier(concurrency)
    results = context.Queue()
    processes = [
        context.Process(target=_client, args=(factory, index, barrier, seconds, results))
        for index in range(concurrency)
    ]
    for process in processes:
        process.start()
    reports = [results.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    errors = [report[5] for report in reports if report[5]]
    if errors:
        raise RuntimeError(f"benchmark client failed: {errors[0]}")
    started = min(report[2] for report in reports)
    ended = max(report[3] for report in reports)
    latencies = [latency for report in reports for latency in report[4]]
    return ClientRun(sum(report[1] for report in reports), ended - started, latencies)
