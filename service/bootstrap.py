"""One place that wires the service's parts, for the API, the workers and the CLI alike."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import redis

from service.clock import Clock, SystemClock
from service.config import Config
from service.store.connection import connect
from service.store.eventstore import EventStore
from service.store.keys import Keys
from service.tokens import TokenRegistry
from service.tracker import Tracker


@dataclass
class Services:
    config: Config
    redis: redis.Redis
    clock: Clock
    keys: Keys
    store: EventStore
    tokens: TokenRegistry
    tracker: Tracker
    extras: dict[str, object] = field(default_factory=dict)
    # Called after every acknowledged append (e.g. to wake the projector), with the
    # append's AppendResult.woke.
    append_listeners: list[Callable[[bool | None], None]] = field(default_factory=list)

    def appended(self, woke: bool | None = None) -> None:
        for listener in self.append_listeners:
            try:
                listener(woke)
            except redis.RedisError as error:
                # The events are already acknowledged; a missed wake-up only delays the
                # dashboards until the scheduler's periodic catch-up.
                logging.getLogger("reform_tracker").warning("append listener failed: %s", error)


def bootstrap(
    config: Config, *, clock: Clock | None = None, client: redis.Redis | None = None
) -> Services:
    if not config.redis_url and client is None:
        raise ValueError("RT_REDIS_URL (or REDIS_URL) is not set")
    client = client or connect(config.redis_url)
    clock = clock or SystemClock()
    keys = Keys(config.key_prefix)
    store = EventStore(client, clock, keys, idempotency_ttl=config.idempotency_ttl_seconds)
    return Services(
        config=config,
        redis=client,
        clock=clock,
        keys=keys,
        store=store,
        tokens=TokenRegistry(client, keys, clock),
        tracker=Tracker(store),
    )
