"""Following the event log for alert events, from a checkpoint, exactly once per batch.

The alert feed and the notifier each follow the global log this way, with checkpoints
of their own (they live in different key slots, so they cannot share a transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis

from service.alerts.domain import alerts as al
from service.ledger.domain.chain import RecordedEvent
from service.ledger.eventstore import EventStore
from service.runtime.connection import owner, rerouted

ALERT_EVENTS = frozenset(
    cls.__name__
    for cls in (
        al.AlertRaised,
        al.AlertEscalated,
        al.AlertRenotified,
        al.AlertAcknowledged,
        al.AlertResolved,
    )
)
BATCH = 1000
Writes = Callable[[Any], None]  # queues a batch's writes on a MULTI pipeline


def follow_alert_events(
    store: EventStore,
    checkpoint_key: str,
    prepare: Callable[[list[RecordedEvent]], tuple[Writes, int]],
) -> int:
    """Hand the alert events after the checkpoint, a batch at a time, to ``prepare``, and
    commit the writes it returns together with the new checkpoint. WATCH on the
    checkpoint makes each batch count once, however many processes follow at the same
    time. Returns the sum of the counts ``prepare`` returned."""
    total = 0
    while True:
        with (
            rerouted(store.redis),
            owner(store.redis, store.keys.log).pipeline(transaction=True) as pipe,
        ):
            try:
                pipe.watch(checkpoint_key)
                after = int(pipe.get(checkpoint_key) or 0)
                events = store.read_log(after, BATCH, sealed=False)
                if not events:
                    return total
                write, count = prepare([e for e in events if e.type in ALERT_EVENTS])
                pipe.multi()
                write(pipe)
                pipe.set(checkpoint_key, events[-1].position)
                pipe.execute()
                total += count
            except redis.WatchError:
                continue  # another process committed this batch; go on from theirs
