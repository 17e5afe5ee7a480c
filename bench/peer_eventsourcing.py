"""Peer: the same event sequence appended through the `eventsourcing` library, at the
same concurrency, alternating with ours in every repetition. Each client process saves
one aggregate per event, like one API command. The backend is in bench/peer_backend.py.
"""

from __future__ import annotations

import tempfile

import redis

from bench.clients import CONCURRENCY_MODEL, run_clients
from bench.peer_backend import (
    drop_postgres_table,
    fresh_backend,
    peer_clients,
    postgres_unreachable,
)
from bench.results import Section, compared
from bench.settings import Settings
from bench.workloads import STREAMS_PER_CLIENT, event_store_clients

NAME = "Peer (eventsourcing)"
TARGET_RATIO = 3.0


def run(settings: Settings) -> Section:
    try:
        from importlib.metadata import version

        peer_version = version("eventsourcing")
    except ImportError:
        return Section(
            NAME,
            status="skipped",
            reason="the eventsourcing package is not installed (pip install -e '.[bench]')",
        )
    unreachable = postgres_unreachable()
    backend = (
        "PostgreSQL 127.0.0.1:5432 (fsync on, synchronous_commit on)"
        if unreachable is None
        else f"SQLite, WAL, synchronous=FULL (PostgreSQL unreachable: {unreachable})"
    )
    section = Section(
        NAME,
        notes=[
            f"eventsourcing {peer_version} with {backend}; clients are {CONCURRENCY_MODEL}",
            "same ProgressReported sequence, one Application.save per event, each client "
            f"over its own {STREAMS_PER_CLIENT} aggregates (created before timing)",
        ],
    )
    admin = redis.Redis.from_url(settings.redis_url)
    with tempfile.TemporaryDirectory(prefix="rt-peer-") as folder:
        for concurrency in settings.concurrency:
            ours: list[float] = []
            peer: list[float] = []
            for repetition in range(settings.repetitions):
                env = fresh_backend(unreachable is None, folder)
                admin.flushall()
                runs = [(peer, peer_clients(env)), (ours, event_store_clients(settings.redis_url))]
                for samples, factory in runs if repetition % 2 == 0 else reversed(runs):
                    samples.append(run_clients(factory, concurrency, settings.seconds).per_second)
            row = compared(
                f"ours vs eventsourcing, {_clients(concurrency)}",
                "throughput",
                "events/s",
                ours,
                peer,
                f"eventsourcing, {_clients(concurrency)}",
            )
            row.target = ">= 3x the peer"
            row.met = (row.ratio or 0) >= TARGET_RATIO
            section.rows.append(row)
    if unreachable is None:
        drop_postgres_table()
    admin.flushall()
    admin.close()
    return section


def _clients(count: int) -> str:
    return f"{count} client{'s' if count > 1 else ''}"
