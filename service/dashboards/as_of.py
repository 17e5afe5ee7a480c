"""As-of reads: the read model as it was at the end of a past day, folded from the log.

Events are kept forever, so the status on any date is the projection folded over the
events recorded up to the end of that day (UTC) — the same pure projection the projector
runs, applied to an in-memory Snapshot. A programme or initiative is folded from its own
streams only; the overview and scorecards walk the global log.
"""

from __future__ import annotations

from datetime import date, timedelta

from service.dashboards.domain.snapshot import Snapshot
from service.ledger.domain.chain import RecordedEvent
from service.ledger.eventstore import EventStore

# recorded_at comes from each API host's clock; hosts a little out of step can write an
# event of day D just after one of day D+1. Walking one more day of log covers that.
CLOCK_SKEW_MARGIN = timedelta(days=1)


def recorded_by(event: RecordedEvent, day: date) -> bool:
    """Recorded at or before the end of ``day`` (timestamps are ISO UTC, date first)."""
    return event.recorded_at[:10] <= day.isoformat()


class _Cutoff:
    """Folds each stream's history up to its first event after the day: a stream's past
    is a prefix of it, even if clocks put a later version's timestamp a little earlier."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.cut: set[str] = set()
        self.snapshot = Snapshot()

    def feed(self, event: RecordedEvent) -> None:
        if event.stream in self.cut:
            return
        if recorded_by(event, self.day):
            self.snapshot.apply(event)
        else:
            self.cut.add(event.stream)


def fold_tree(store: EventStore, root_stream: str, day: date) -> Snapshot:
    """Fold a programme or an initiative stream and every stream beneath it."""
    streams, pending = [], [root_stream]
    while pending:
        stream = pending.pop()
        streams.append(stream)
        pending += store.children(stream)
    cutoff = _Cutoff(day)
    events = [event for stream in streams for event in store.read_stream(stream)]
    for event in sorted(events, key=lambda e: e.position):
        cutoff.feed(event)
    return cutoff.snapshot


def fold_log(store: EventStore, day: date, batch: int = 2000) -> Snapshot:
    """Fold the global log up to ``day``, stopping a margin after it."""
    stop = (day + CLOCK_SKEW_MARGIN).isoformat()
    cutoff = _Cutoff(day)
    for event in store.iter_log(0, batch, sealed=False):
        if event.recorded_at[:10] > stop:
            break
        cutoff.feed(event)
    return cutoff.snapshot
