"""The composition root: wires every context once, for the API, the workers and the CLI."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import redis

from service.access.service import AccessDesk
from service.access.tokens import TokenRegistry
from service.alerts.service import AlertDesk
from service.ledger.durability import DurabilityGuard
from service.ledger.eventstore import EventStore
from service.ledger.infrastructure import Infrastructure
from service.ledger.keys import Keys
from service.ledger.rekey import move_legacy_keys
from service.runtime.clock import Clock, SystemClock
from service.runtime.config import Config
from service.runtime.connection import connect, queue_connection
from service.runtime.jobs import JobQueue
from service.tracking.imports import Importer
from service.tracking.tracker import Tracker


@dataclass
class Services(Infrastructure):
    tokens: TokenRegistry
    tracker: Tracker
    imports: Importer
    access: AccessDesk
    alerts: AlertDesk
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
    if not config.has_redis and client is None:
        raise ValueError("RT_REDIS_URL (or REDIS_URL) is not set, nor RT_REDIS_SENTINELS")
    client = client or connect(config)
    clock = clock or SystemClock()
    keys = Keys(config.key_prefix)
    try:
        move_legacy_keys(client, keys)
    except redis.RedisError as error:  # Redis down at start: a later start moves them
        logging.getLogger("reform_tracker").warning("legacy keys not moved yet: %s", error)
    # Start-up checks refuse a lossy Redis; the guard keeps refusing appends if it is
    # reconfigured while running (RT_ALLOW_UNSAFE_REDIS: tests/dev only, no guard).
    guard = (
        None
        if config.allow_unsafe_redis
        else DurabilityGuard(client, min_replicas_ack=config.min_replicas_ack)
    )
    store = EventStore(
        client,
        clock,
        keys,
        idempotency_ttl=config.idempotency_ttl_seconds,
        guard=guard,
        replica_timeout_ms=config.replica_ack_timeout_ms,
    )
    infrastructure = Infrastructure(
        config=config,
        redis=client,
        clock=clock,
        keys=keys,
        store=store,
        jobs=JobQueue(queue_connection(config, client)),
    )
    tokens = TokenRegistry(client, keys, clock)
    tracker = Tracker(store)
    return Services(
        **vars(infrastructure),
        tokens=tokens,
        tracker=tracker,
        imports=Importer(tracker),
        access=AccessDesk(tokens),
        alerts=AlertDesk(infrastructure),
    )
