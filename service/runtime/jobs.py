"""The one RQ queue, and how the service hands work to the workers.

Jobs are named by their dotted path (``workers.jobs.project``), never imported: the
service wakes workers without depending on them, and ``workers/`` depends on the service.
RQ stores pickled job data, so the queue has a connection of its own that does not
decode replies; it shares the service's connection settings.
"""

from __future__ import annotations

from typing import Any

import redis
from rq import Queue

QUEUE = "reform-tracker"


def raw_connection(client: redis.Redis) -> redis.Redis:
    """The same Redis as ``client``, without reply decoding."""
    pool = client.connection_pool
    kwargs = {**pool.connection_kwargs, "decode_responses": False}
    return redis.Redis(
        connection_pool=redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
    )


class JobQueue:
    """Enqueue jobs by name on the service's queue; one per process, made by bootstrap."""

    def __init__(self, client: redis.Redis, name: str = QUEUE) -> None:
        self.connection = raw_connection(client)
        self.name = name

    @property
    def queue(self) -> Queue:
        return Queue(self.name, connection=self.connection)

    def enqueue(self, job: str, *args: Any, **options: Any) -> Any:
        return self.queue.enqueue(job, *args, **options)
