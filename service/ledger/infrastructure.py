"""What every context's I/O runs on: settings, the one Redis client, the clock you can
freeze, the key scheme, the event store and the job queue.

Application services and jobs take this (or the bootstrap's Services, which extends it)
instead of reaching for globals, so a test hands them fakeredis and a frozen clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from service.ledger.eventstore import EventStore
from service.ledger.keys import Keys
from service.runtime.clock import Clock
from service.runtime.config import Config
from service.runtime.jobs import JobQueue


@dataclass
class Infrastructure:
    config: Config
    redis: redis.Redis
    clock: Clock
    keys: Keys
    store: EventStore
    jobs: JobQueue
