"""What the store benchmarks append: one event sequence, shared by ours, raw and the peer.

Each client owns its milestone streams, so stream versions never conflict; what the
clients share is the global log, exactly as API workers do.
"""

from __future__ import annotations

import multiprocessing as mp
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from multiprocessing.synchronize import Event
from typing import Any

from bench.clients import ClientFactory, Operation
from service.ledger.domain.chain import GENESIS, Actor, RecordedEvent
from service.ledger.eventstore import EventStore
from service.ledger.keys import Keys
from service.runtime.clock import SystemClock, isoformat
from service.runtime.config import Config
from service.runtime.connection import connect
from service.tracking.domain.events import ProgressReported

STREAMS_PER_CLIENT = 8
BENCH_KEYS = Keys("bench")


def progress_event(n: int) -> ProgressReported:
    """The event sequence every store benchmark (and the peer) appends."""
    return ProgressReported(percent=n % 101, note=f"unit {n % 7}: body cameras issued")


def sample_record() -> str:
    """An encoded event the size of the ones ours stores, for the raw baseline."""
    return RecordedEvent(
        id=str(uuid.uuid4()),
        stream=f"milestone-{uuid.uuid4()}",
        version=1,
        position=1,
        type="ProgressReported",
        schema_version=1,
        recorded_at=isoformat(datetime.now(UTC)),
        actor={"token_id": "bench-0", "role": "reporter", "agency": "PGO"},
        correlation_id=None,
        causation_id=None,
        payload=progress_event(1).to_payload(),
        hash=GENESIS,
        global_hash=None,
    ).stored()


def event_store_clients(redis_url: str, events_per_append: int = 1) -> ClientFactory:
    def factory(index: int) -> Operation:
        store = EventStore(connect(Config(redis_url=redis_url)), SystemClock(), BENCH_KEYS)
        actor = Actor(token_id=f"bench-{index}", role="reporter", agency="PGO")
        streams = [f"milestone-{uuid.uuid4()}" for _ in range(STREAMS_PER_CLIENT)]
        versions = [0] * STREAMS_PER_CLIENT

        def append(n: int) -> None:
            slot = n % STREAMS_PER_CLIENT
            events = [progress_event(n * events_per_append + i) for i in range(events_per_append)]
            store.append(streams[slot], events, expected_version=versions[slot], actor=actor)
            versions[slot] += events_per_append

        return append

    return factory


def raw_xadd_clients(redis_url: str, encoded: str) -> ClientFactory:
    def factory(index: int) -> Operation:
        client = connect(Config(redis_url=redis_url))
        keys = [f"bench-raw:{index}:{slot}" for slot in range(STREAMS_PER_CLIENT)]

        def xadd(n: int) -> None:
            client.xadd(keys[n % STREAMS_PER_CLIENT], {"e": encoded})

        return xadd

    return factory


@contextmanager
def sealing(redis_url: str) -> Iterator[EventStore]:
    """A sealer process chaining the global log while the body runs, as the worker does
    in production; yields a store to read the sealed head with."""
    context = mp.get_context("fork")
    stop = context.Event()
    process = context.Process(target=_seal_until, args=(redis_url, stop))
    process.start()
    try:
        yield EventStore(connect(Config(redis_url=redis_url)), SystemClock(), BENCH_KEYS)
    finally:
        stop.set()
        process.join(timeout=60)


def _seal_until(redis_url: str, stop: Event) -> None:
    """Seal whenever there is something to seal; when caught up, look again in 5 ms (in
    production the worker seals on the wake-up each append sends instead of polling)."""
    store = EventStore(connect(Config(redis_url=redis_url)), SystemClock(), BENCH_KEYS)
    while not stop.is_set():
        if not store.sealer.seal():
            time.sleep(0.005)


def unlink_matching(client: Any, *patterns: str) -> None:
    """Delete every key matching ``patterns`` in batches, so a section leaves the shared
    server as it found it without one huge command."""
    for pattern in patterns:
        keys = list(client.scan_iter(match=pattern, count=1000))
        for start in range(0, len(keys), 1000):
            client.unlink(*keys[start : start + 1000])
