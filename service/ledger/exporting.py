"""Export the log as JSON Lines, verify an export offline, and import one into an empty store.

An export is the global log in order, one RecordedEvent per line with both hashes, so
anyone holding it can check with `reform-tracker verify --file` that no event was
altered, removed or reordered — without access to Redis.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from service.ledger.domain.chain import Breach, RecordedEvent, VerifyReport, verify_events
from service.ledger.eventstore import EventStore
from service.ledger.integrity import first_breach

# Which list an aggregate is registered in when it is created (mirrors Tracker._create).
PARENTS: dict[str, Callable[[RecordedEvent], str]] = {
    "ProgrammeCreated": lambda e: "",
    "InitiativeLaunched": lambda e: f"programme-{e.payload['programme_id']}",
    "MilestonePlanned": lambda e: f"initiative-{e.payload['initiative_id']}",
}


class BadExport(Exception):
    pass


@dataclass(frozen=True)
class ExportReport:
    count: int
    breach: Breach | None  # set only when forced past a log that does not verify
    missing: tuple[int, ...]  # positions up to the sealed head with no event exported


def export(store: EventStore, out: TextIO, *, force: bool = False) -> ExportReport:
    """Write the log up to its sealed head, sealing it first, so every exported event
    carries its global hash (events appended meanwhile are left for the next export).
    A log that does not verify is refused (BrokenLog) before anything is sealed or
    written, unless ``force``d."""
    breach = first_breach(store, force=force, refused="exported")
    store.sealer.seal_all()
    sealed = store.sealer.sealed_position()
    count, expected, missing = 0, 1, list[int]()
    for event in store.iter_log():
        if event.position > sealed:
            break
        missing.extend(range(expected, event.position))
        expected = event.position + 1
        out.write(event.to_json() + "\n")
        count += 1
    missing.extend(range(expected, sealed + 1))
    return ExportReport(count, breach, tuple(missing))


def read_export(path: Path) -> Iterator[RecordedEvent]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield RecordedEvent.from_json(line)
            except (ValueError, TypeError) as error:
                raise BadExport(f"line {number} is not a recorded event: {error}") from None


def verify_file(path: Path) -> VerifyReport:
    return verify_events(read_export(path))


def import_log(store: EventStore, events: Iterable[RecordedEvent]) -> int:
    """Restore an export into an empty store; refuses a broken or partial chain."""
    if store.head_position():
        raise BadExport("the store already holds events; import needs an empty one")
    records = list(events)
    report = verify_events(records)
    if report.breach is not None:
        raise BadExport(
            f"the export does not verify; its first bad event is at {report.breach} "
            f"({report.events_checked} events before it check out)"
        )
    for record in records:
        parent = PARENTS[record.type](record) if record.type in PARENTS else None
        store.restore(record, parent)
    store.sealer.seal_all()
    restored = store.sealer.global_hash_at(report.sealed_position)
    if report.sealed_position and restored != report.head_hash:
        raise BadExport("the restored log seals to a different global chain than the export")
    return len(records)


def dump_report(report: VerifyReport) -> str:
    return json.dumps(report.to_dict())
