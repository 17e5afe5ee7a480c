"""Day boundaries in the log, for end-of-day snapshots.

The log is in append order, and ``recorded_at`` comes from each API host's clock, so days
may interleave a little. The projector keeps the latest day it has folded; an event of a
later day *crosses* the boundary. The read models just before it hold every event of
that day and earlier days folded so far, and nothing of a later day: the end-of-day
snapshot, which the as-of fold of any date from that day on can start from exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from service.dashboards.domain.readmodel import LoggedEvent

E = TypeVar("E", bound=LoggedEvent)


def day_of(event: LoggedEvent) -> str:
    """The UTC day an event was recorded on (ISO timestamps start with the date)."""
    return event.recorded_at[:10]


@dataclass(frozen=True)
class Cut(Generic[E]):
    events: Sequence[E]  # the part of the batch to fold now
    snapshot_day: str | None  # the day ending just before them, to snapshot first
    latest_day: str | None  # the latest day folded once they are


def cut_at_day_boundary(events: Sequence[E], latest_day: str | None) -> Cut[E]:
    """Fold a batch up to the next day boundary only: when the batch starts by crossing
    one, the day that ends there is snapshotted first; any later crossing waits for the
    next batch, so one batch never straddles two days."""
    snapshot_day, latest = None, latest_day
    for index, event in enumerate(events):
        day = day_of(event)
        if latest is not None and day > latest:
            if index:
                return Cut(events[:index], snapshot_day, latest)
            snapshot_day = latest
        latest = day if latest is None else max(latest, day)
    return Cut(events, snapshot_day, latest)
