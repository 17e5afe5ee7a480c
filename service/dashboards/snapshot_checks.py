"""Finding an end-of-day snapshot for an as-of answer, checked against the log before use;
and, outside any read, comparing their contents with their digests and repairing them:
dropping those the log no longer matches, rebuilding those whose copy is missing or
altered (see end_of_day.py for how the projector writes them)."""

from __future__ import annotations

from datetime import date

import redis

from service.dashboards.domain.readmodel import FAMILIES
from service.dashboards.end_of_day import (
    Stamp,
    contents_hold,
    days_key,
    digest,
    drop_snapshot,
    seal,
    snapshot_layout,
    stamp_of,
)
from service.dashboards.projector import fold_batch
from service.dashboards.readmodels import ReadModels, layout_parts
from service.dashboards.stored_rollups import store_rollups
from service.ledger.infrastructure import Infrastructure
from service.ledger.keys import Keys
from service.runtime.lease import lease


def latest_before(client: redis.Redis, keys: Keys, day: date) -> list[str]:
    """The days with a snapshot, latest first, up to and including ``day``."""
    found = client.zrevrangebyscore(days_key(keys), day.toordinal(), "-inf")
    return [str(d) for d in found]  # type: ignore[union-attr]


def snapshot_for(services: Infrastructure, day: date) -> Stamp | None:
    """The latest end-of-day snapshot of ``day`` or before that checks out against the log
    and is whole; None if there is none. Reads only: one that does not check out is
    passed over (the answer folds from an earlier one) and left for ``repair_snapshots``.

    Whole: digested (so its copy was completed) and its own checkpoints at the stamped
    position (so its keys are there). Comparing the contents with the digest reads every
    key of the copy (seconds at 100,000 milestones), so it is not done on a read: the
    worker does it when it writes the snapshot and with the hourly read-model check
    (``repair_snapshots``), and ``verify --read-models`` on demand, as for the live read
    models."""
    for candidate in latest_before(services.redis, services.keys, day):
        stamp = stamp_of(services.redis, services.keys, candidate)
        if stamp and _stamp_holds(services, stamp) and _whole(services, stamp):
            return stamp
    return None


def _whole(services: Infrastructure, stamp: Stamp) -> bool:
    copy = ReadModels(services.redis, services.keys, snapshot_layout(services.keys, stamp.day))
    return stamp.digest is not None and copy.checkpoint() == stamp.position


def repair_snapshots(services: Infrastructure) -> list[str]:
    """Drop the snapshots the log no longer matches and rebuild those whose copy is
    missing or altered (the worker runs this with the hourly read-model check); the days
    repaired."""
    repaired = []
    for day in latest_before(services.redis, services.keys, date.max):
        stamp = stamp_of(services.redis, services.keys, day)
        if stamp is None or not _stamp_holds(services, stamp):
            drop_snapshot(services, day)
        elif not contents_hold(services, stamp):
            rebuild_snapshot(services, stamp)
        else:
            continue
        repaired.append(day)
    return repaired


def _stamp_holds(services: Infrastructure, stamp: Stamp) -> bool:
    at = services.store.read_log(stamp.position - 1, 1, sealed=False)
    return stamp.matches(at[0] if at and at[0].position == stamp.position else None)


def rebuild_snapshot(services: Infrastructure, stamp: Stamp) -> Stamp:
    """Fold the snapshot of ``stamp.day`` afresh up to its position: from the latest
    earlier snapshot that checks out, or from the start of the log."""
    client, keys = services.redis, services.keys
    with lease(client, keys.read_model(f"eod-rebuild:{stamp.day}"), 120_000):
        current = stamp_of(client, keys, stamp.day)
        if current and _stamp_holds(services, current) and contents_hold(services, current):
            return current  # rebuilt meanwhile by another process
        drop_snapshot(services, stamp.day, keep_stamp=True)
        target = snapshot_layout(keys, stamp.day)
        earlier = [
            d for d in latest_before(client, keys, date.fromisoformat(stamp.day)) if d < stamp.day
        ]
        start = next(
            (
                s
                for d in earlier
                if (s := stamp_of(client, keys, d))
                and s.position <= stamp.position
                and _stamp_holds(services, s)
                and contents_hold(services, s)
            ),
            None,
        )
        if start is not None:
            source = snapshot_layout(keys, start.day)
            for part in layout_parts(client, source):
                client.copy(part.key(source), part.key(target), replace=True)
        while fold_batch(services, lambda _pipe: target, FAMILIES, until=stamp.position):
            pass
        rebuilt = Stamp(stamp.day, stamp.position, stamp.event_id, stamp.event_hash)
        store_rollups(services)(rebuilt)
        return seal(services, rebuilt)


def check_snapshots(services: Infrastructure) -> list[tuple[str, str]]:
    """Every end-of-day snapshot against the log and its digest, read afresh: (day, what
    is wrong) for each that does not check out. Nothing is rebuilt or dropped here:
    ``repair_snapshots`` does that."""
    client, keys = services.redis, services.keys
    problems = []
    for day in reversed(latest_before(client, keys, date.max)):
        stamp = stamp_of(client, keys, day)
        if stamp is None:
            problems.append((day, "listed, but its stamp is missing"))
        elif not _stamp_holds(services, stamp):
            problems.append((day, f"the log at position {stamp.position} is not what it stamped"))
        elif stamp.digest is None:
            problems.append((day, "never digested (the copy may be incomplete)"))
        elif digest(client, keys, day) != stamp.digest:
            problems.append((day, "its contents do not match its digest"))
    return problems
