"""As-of reads: the read model as it was at the end of a past day, folded from the log.

Events are kept forever, so the status on any date is the projection folded over the
events recorded up to the end of that day (UTC) — the same pure projection the projector
runs, applied to an in-memory Snapshot. A programme or initiative is folded from its own
streams only. The overview and scorecards start from the end-of-day snapshot the projector
wrote for that day or the latest before it, and fold only the rest of that day's history.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from service.dashboards.day_fold import DayFold
from service.dashboards.domain.dashboards import ReadSource
from service.dashboards.domain.snapshot import Snapshot
from service.dashboards.end_of_day import snapshot_layout
from service.dashboards.readmodels import ReadModels
from service.dashboards.snapshot_checks import snapshot_for
from service.ledger.domain.chain import RecordedEvent
from service.ledger.eventstore import EventStore
from service.ledger.infrastructure import Infrastructure
from service.runtime.clock import isoformat

# recorded_at comes from each API host's clock; hosts a little out of step can write an
# event of day D just after one of day D+1. Walking the log on until an event recorded an
# hour into the next day covers clocks up to an hour apart (hosts kept in step by NTP
# differ by milliseconds), and costs an hour of events, not a day of them.
CLOCK_SKEW_MARGIN = timedelta(hours=1)


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
        if self.keeps(event):
            self.snapshot.apply(event)

    def keeps(self, event: RecordedEvent) -> bool:
        """Whether ``event`` belongs to the day's history (the log in order)."""
        if event.stream in self.cut:
            return False
        if recorded_by(event, self.day):
            return True
        self.cut.add(event.stream)
        return False


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


def _day_events(
    store: EventStore, day: date, after: int = 0, batch: int = 2000
) -> Iterator[RecordedEvent]:
    """The events after ``after`` that belong to ``day``'s history, stopping a margin after
    it (the caller's state at ``after`` must hold no event later than ``day``)."""
    stop = isoformat(datetime.combine(day + timedelta(days=1), time.min, UTC) + CLOCK_SKEW_MARGIN)
    cutoff = _Cutoff(day)
    for event in store.iter_log(after, batch, sealed=False):
        if event.recorded_at > stop:
            break
        if cutoff.keeps(event):
            yield event


def fold_log(store: EventStore, day: date, batch: int = 2000) -> Snapshot:
    """Fold the global log up to ``day`` from position 0, stopping a margin after it."""
    snapshot = Snapshot()
    for event in _day_events(store, day, 0, batch):
        snapshot.apply(event)
    return snapshot


def overview_as_of(services: Infrastructure, day: date) -> tuple[ReadSource, int]:
    """The read model at the end of ``day`` and the log position it reflects: the latest
    end-of-day snapshot of that day or before (checked, see snapshot_checks.py) with the
    rest of the day's history folded onto it in memory: at most about a day of events."""
    source, position, _ = snapshot_reading(services, day)
    return source, position


def snapshot_reading(services: Infrastructure, day: date) -> tuple[ReadSource, int, str | None]:
    """``overview_as_of``, and the day of the snapshot it started from (None: none)."""
    stamp = snapshot_for(services, day)
    # No snapshot that early: a layout no key belongs to, the history folded from 0.
    layout = snapshot_layout(services.keys, stamp.day if stamp else "none")
    base = ReadModels(services.redis, services.keys, layout)
    position = stamp.position if stamp else 0
    # Small batches: the fold usually ends within the first few events after the snapshot.
    folded = DayFold(base, list(_day_events(services.store, day, position, batch=50)), position)
    return folded, folded.position, stamp.day if stamp else None
