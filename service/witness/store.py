"""What a witness remembers: the latest checkpoint it cosigned per log, and evidence.

Kept in SQLite in the witness's own data folder, apart from any log it watches: the
whole point of a witness is that the log's operator cannot edit what it remembers. The
check against the latest checkpoint and the update are one IMMEDIATE transaction, so
two requests at once can never roll the witness's view back (the race the tlog-witness
specification warns about).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from service.witness.protocol import Latest

T = TypeVar("T")

SCHEMA = """
create table if not exists latest (
    origin text primary key, size integer not null, root blob not null, note text not null
);
create table if not exists evidence (
    id integer primary key, origin text not null, recorded_at text not null,
    cosigned_note text, submitted text not null, reason text not null
);
"""


class WitnessStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    def latest(self, origin: str) -> tuple[Latest, str] | None:
        with self._connection() as db:
            row = db.execute(
                "select size, root, note from latest where origin = ?", (origin,)
            ).fetchone()
        return (Latest(row[0], row[1]), row[2]) if row else None

    def advance(self, origin: str, decide: Callable[[Latest | None], tuple[Latest, str]]) -> None:
        """Run ``decide`` on the latest checkpoint for ``origin`` and store what it returns,
        in one transaction; whatever ``decide`` raises leaves the store unchanged."""
        with self._connection() as db:
            db.execute("begin immediate")
            try:
                row = db.execute(
                    "select size, root from latest where origin = ?", (origin,)
                ).fetchone()
                new, note = decide(Latest(row[0], row[1]) if row else None)
                db.execute(
                    "insert into latest (origin, size, root, note) values (?, ?, ?, ?) "
                    "on conflict (origin) do update set size = excluded.size, "
                    "root = excluded.root, note = excluded.note",
                    (origin, new.size, new.root, note),
                )
                db.execute("commit")
            except BaseException:
                db.execute("rollback")
                raise

    def keep_evidence(self, origin: str, at: str, submitted: str, reason: str) -> None:
        cosigned = self.latest(origin)
        with self._connection() as db:
            db.execute(
                "insert into evidence (origin, recorded_at, cosigned_note, submitted, reason) "
                "values (?, ?, ?, ?, ?)",
                (origin, at, cosigned[1] if cosigned else None, submitted, reason),
            )

    def evidence(self) -> list[dict[str, str | None]]:
        with self._connection() as db:
            rows = db.execute(
                "select origin, recorded_at, cosigned_note, submitted, reason from evidence "
                "order by id"
            ).fetchall()
        keys = ("origin", "recorded_at", "cosigned_note", "submitted", "reason")
        return [dict(zip(keys, row, strict=True)) for row in rows]
