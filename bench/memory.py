"""Memory: Redis bytes per stored event (INFO memory used_memory before and after).

Ours keeps every event twice (its aggregate stream and the global log), a head per
stream and a seal (its global hash) per position; the log is sealed before the "after"
reading. The baseline is the same encoded event XADDed once, so the ratio shows the cost
of the second copy, the heads and the seals.
"""

from __future__ import annotations

import redis

from bench.clients import ClientFactory, run_clients
from bench.results import Section, compared
from bench.settings import Settings
from bench.workloads import (
    BENCH_KEYS,
    STREAMS_PER_CLIENT,
    event_store_clients,
    raw_xadd_clients,
    sample_record,
)
from service.ledger.eventstore import EventStore
from service.runtime.clock import SystemClock
from service.runtime.config import Config
from service.runtime.connection import connect

NAME = "Memory"
CLIENTS = 4


def _bytes_per_event(
    admin: redis.Redis, factory: ClientFactory, seconds: float, seal_url: str | None = None
) -> float:
    admin.flushall()
    before = int(admin.info("memory")["used_memory"])
    run = run_clients(factory, CLIENTS, seconds)
    if seal_url:
        EventStore(connect(Config(redis_url=seal_url)), SystemClock(), BENCH_KEYS).sealer.seal_all()
    after = int(admin.info("memory")["used_memory"])
    return (after - before) / max(run.operations, 1)


def run(settings: Settings) -> Section:
    encoded = sample_record()
    section = Section(
        NAME,
        notes=[
            f"{CLIENTS} clients append for {settings.seconds * 2:g} s, each round-robin over "
            f"{STREAMS_PER_CLIENT} milestone streams; bytes = delta of INFO used_memory / events",
            f"one encoded event is {len(encoded.encode())} bytes of JSON",
        ],
    )
    admin = redis.Redis.from_url(settings.redis_url)
    ours: list[float] = []
    raw: list[float] = []
    for _ in range(settings.repetitions):
        ours.append(
            _bytes_per_event(
                admin,
                event_store_clients(settings.redis_url),
                settings.seconds * 2,
                seal_url=settings.redis_url,
            )
        )
        raw.append(
            _bytes_per_event(
                admin, raw_xadd_clients(settings.redis_url, encoded), settings.seconds * 2
            )
        )
    admin.flushall()
    admin.close()
    section.rows.append(
        compared(
            "EventStore (stream copy + global log + heads + seals)",
            "memory per event",
            "bytes",
            ours,
            raw,
            "raw XADD, one copy",
        )
    )
    return section
