"""The peer's storage: eventsourcing's PostgreSQL backend when a server answers at
127.0.0.1:5432 (trust auth, database "test"), else its SQLite backend, whose connections
we check are in synchronous=FULL, so that the peer, like ours, makes every acknowledged
event durable before answering.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from bench.clients import ClientFactory, Operation
from bench.workloads import STREAMS_PER_CLIENT, progress_event

POSTGRES = {
    "POSTGRES_DBNAME": "test",
    "POSTGRES_HOST": "127.0.0.1",
    "POSTGRES_PORT": "5432",
    "POSTGRES_USER": "postgres",
    "POSTGRES_PASSWORD": "",
}


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


def postgres_unreachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=2
        ) as connection:
            connection.execute("SELECT 1")
        return None
    except Exception as error:  # any failure means: use the SQLite backend
        return f"{type(error).__name__}: {error}".strip()


def drop_postgres_table() -> None:
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


def fresh_backend(postgres: bool, folder: str) -> dict[str, str]:
    """Empty tables for each repetition, created before the clients fork."""
    if postgres:
        drop_postgres_table()
        env = dict(POSTGRES, PERSISTENCE_MODULE="eventsourcing.postgres")
    else:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        env = _sqlite_env(folder)
    app, _ = _application(env)
    app.close()
    return env
