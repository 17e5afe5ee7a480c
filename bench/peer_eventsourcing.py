"""Peer: the same event sequence appended through the `eventsourcing` library.

Its PostgreSQL backend is used when a server answers at 127.0.0.1:5432 (trust auth,
database "test"), else its SQLite backend, whose connections we check are in
synchronous=FULL so that both peers, like ours, fsync every acknowledged event.
Each client process saves one aggregate per event, like one API command.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from typing import Any

import redis

from bench.clients import CONCURRENCY_MODEL, ClientFactory, Operation, run_clients
from bench.results import Section, compared
from bench.settings import Settings
from bench.workloads import STREAMS_PER_CLIENT, event_store_clients, progress_event

NAME = "Peer (eventsourcing)"
POSTGRES = {
    "POSTGRES_DBNAME": "test",
    "POSTGRES_HOST": "127.0.0.1",
    "POSTGRES_PORT": "5432",
    "POSTGRES_USER": "postgres",
    "POSTGRES_PASSWORD": "",
}
TARGET_RATIO = 3.0


def _application(env: dict[str, str]) -> Any:
    # Imported lazily: the peer is an optional dependency (extra "bench").
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class BenchMilestone(Aggregate):
        @event("Planned")
        def __init__(self, title: str) -> None:
            self.title = title

        @event("ProgressReported")
        def report_progress(self, percent: int, note: str) -> None:
            self.percent = percent

    class ReformTrackerBench(Application):
        pass

    return ReformTrackerBench(env=env), BenchMilestone


def _postgres_reachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=2
        ) as connection:
            connection.execute("SELECT 1")
        return None
    except Exception as error:  # any failure means: use the SQLite backend
        return f"{type(error).__name__}: {error}".strip()


def _drop_postgres_table() -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test") as connection:
        connection.execute("DROP TABLE IF EXISTS reformtrackerbench_events")


def peer_clients(env: dict[str, str]) -> ClientFactory:
    def factory(index: int) -> Operation:
        # The parent created the tables; concurrent CREATE TABLEs would collide.
        app, milestone_class = _application({**env, "CREATE_TABLE": "no"})
        milestones = [milestone_class(f"milestone {slot}") for slot in range(STREAMS_PER_CLIENT)]
        app.save(*milestones)

        def save(n: int) -> None:
            milestone = milestones[n % STREAMS_PER_CLIENT]
            event = progress_event(n)
            milestone.report_progress(event.percent, event.note)
            app.save(milestone)

        return save

    return factory


def _sqlite_env(folder: str) -> dict[str, str]:
    path = os.path.join(folder, "peer.sqlite")
    probe = sqlite3.connect(path)
    probe.execute("PRAGMA journal_mode=WAL")
    synchronous = probe.execute("PRAGMA synchronous").fetchone()[0]
    probe.close()
    if synchronous != 2:
        raise RuntimeError(f"SQLite connections default to synchronous={synchronous}, not FULL")
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}


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
    unreachable = _postgres_reachable()
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
            for _ in range(settings.repetitions):
                env = _fresh_backend(unreachable is None, folder)
                peer.append(
                    run_clients(peer_clients(env), concurrency, settings.seconds).per_second
                )
                admin.flushall()
                ours.append(
                    run_clients(
                        event_store_clients(settings.redis_url), concurrency, settings.seconds
                    ).per_second
                )
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
        _drop_postgres_table()
    admin.flushall()
    admin.close()
    return section


def _fresh_backend(postgres: bool, folder: str) -> dict[str, str]:
    """Empty tables for each repetition, created before the clients fork."""
    if postgres:
        _drop_postgres_table()
        env = dict(POSTGRES, PERSISTENCE_MODULE="eventsourcing.postgres")
    else:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        env = _sqlite_env(folder)
    app, _ = _application(env)
    app.close()
    return env


def _clients(count: int) -> str:
    return f"{count} client{'s' if count > 1 else ''}"
