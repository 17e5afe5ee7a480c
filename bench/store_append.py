"""Store append: EventStore.append against a raw redis-py XADD loop.

Both run against the same redis-server (AOF, appendfsync always) at the same
concurrency, in the same repetition, alternating which goes first. Each client owns a
set of milestone streams, so stream versions never conflict; what the clients do share
is the global log, exactly as API workers do.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import redis

from bench.clients import CONCURRENCY_MODEL, ClientFactory, Operation, run_clients
from bench.results import Row, Section, compared, percentile
from bench.settings import Settings
from service.clock import SystemClock, isoformat
from service.domain.events import ProgressReported
from service.store.chain import GENESIS, Actor, RecordedEvent
from service.store.connection import connect
from service.store.eventstore import EventStore
from service.store.keys import Keys

NAME = "Store append"
STREAMS_PER_CLIENT = 8
TARGET_EVENTS_PER_SECOND = 15_000
TARGET_RATIO = 0.5
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
        global_hash=GENESIS,
    ).to_json()


def event_store_clients(redis_url: str) -> ClientFactory:
    def factory(index: int) -> Operation:
        store = EventStore(connect(redis_url), SystemClock(), BENCH_KEYS)
        actor = Actor(token_id=f"bench-{index}", role="reporter", agency="PGO")
        streams = [f"milestone-{uuid.uuid4()}" for _ in range(STREAMS_PER_CLIENT)]
        versions = [0] * STREAMS_PER_CLIENT

        def append(n: int) -> None:
            slot = n % STREAMS_PER_CLIENT
            store.append(
                streams[slot], [progress_event(n)], expected_version=versions[slot], actor=actor
            )
            versions[slot] += 1

        return append

    return factory


def raw_xadd_clients(redis_url: str, encoded: str) -> ClientFactory:
    def factory(index: int) -> Operation:
        client = connect(redis_url)
        keys = [f"bench-raw:{index}:{slot}" for slot in range(STREAMS_PER_CLIENT)]

        def xadd(n: int) -> None:
            client.xadd(keys[n % STREAMS_PER_CLIENT], {"e": encoded})

        return xadd

    return factory


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
    encoded = sample_record()
    for concurrency in settings.concurrency:
        samples: dict[str, list[list[float]]] = {"ours": [], "raw": []}
        for repetition in range(settings.repetitions):
            order = ["ours", "raw"] if repetition % 2 == 0 else ["raw", "ours"]
            for kind in order:
                admin.flushall()
                factory = (
                    event_store_clients(settings.redis_url)
                    if kind == "ours"
                    else raw_xadd_clients(settings.redis_url, encoded)
                )
                result = run_clients(factory, concurrency, settings.seconds)
                samples[kind].append(
                    [
                        result.per_second,
                        percentile(result.latencies, 0.50) * 1000,
                        percentile(result.latencies, 0.99) * 1000,
                    ]
                )
        section.rows.extend(_rows(concurrency, samples))
    admin.flushall()
    admin.close()
    return section


def _rows(concurrency: int, samples: dict[str, list[list[float]]]) -> list[Row]:
    case = f"EventStore.append, {concurrency} client{'s' if concurrency > 1 else ''}"
    baseline = f"raw XADD, {concurrency} client{'s' if concurrency > 1 else ''}"
    rows = []
    for column, (metric, unit) in enumerate(
        [("throughput", "events/s"), ("p50 latency", "ms"), ("p99 latency", "ms")]
    ):
        ours = [sample[column] for sample in samples["ours"]]
        raw = [sample[column] for sample in samples["raw"]]
        rows.append(compared(case, metric, unit, ours, raw, baseline))
    throughput = rows[0]
    if concurrency == 16:
        throughput.target = f">= {TARGET_EVENTS_PER_SECOND} events/s and >= 50% of raw"
        throughput.met = (
            throughput.value >= TARGET_EVENTS_PER_SECOND and (throughput.ratio or 0) >= TARGET_RATIO
        )
    return rows
