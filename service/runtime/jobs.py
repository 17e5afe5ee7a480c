"""The RQ queues, and how the service hands work to the workers.

Jobs are named by their dotted path (``workers.jobs.project``), never imported: the
service wakes workers without depending on them, and ``workers/`` depends on the service.
RQ stores pickled job data, so the queue has a connection of its own that does not
decode replies (service/runtime/connection.py: queue_connection), to the log's Redis or
to the one RT_QUEUE_REDIS_URL names. On a Redis Cluster without the latter there is none,
and nothing is queued: no worker could take it (docs/operations.md); the scheduler's
periodic runs catch up once workers run.

Two queues, because sealing and projection must never wait behind alert work: a burst
of thousands of webhook and e-mail deliveries would otherwise leave the dashboards and
the global hash chain minutes behind the log. A worker listens to ``QUEUES`` in order,
and RQ always takes the next job from the first queue that has one, so a projection
wake-up is the next job any worker starts, however many deliveries are waiting.
"""

from __future__ import annotations

from typing import Any

import redis
from rq import Queue
from rq.job import Job

# Alert work: overdue scans, notifier runs, deliveries, digests.
QUEUE = "reform-tracker"
# Sealing the global chain and projecting the read models (workers.jobs.project).
PROJECTION_QUEUE = "reform-tracker-projection"
# What every worker listens to, most urgent first.
QUEUES = (PROJECTION_QUEUE, QUEUE)


class NoQueues(Exception):
    """There is no Redis for the queues (a cluster without RT_QUEUE_REDIS_URL)."""


class JobQueue:
    """Enqueue jobs by name on the service's queues; one per process, made by bootstrap.
    ``connection`` None: there are no queues, and ``enqueue`` queues nothing."""

    def __init__(self, connection: redis.Redis | None, name: str = QUEUE) -> None:
        self._connection = connection
        self.name = name

    @property
    def connection(self) -> redis.Redis:
        if self._connection is None:
            raise NoQueues("no Redis holds the queues: set RT_QUEUE_REDIS_URL")
        return self._connection

    @property
    def queue(self) -> Queue:
        """The queue jobs go to unless they name another."""
        return Queue(self.name, connection=self.connection)

    @property
    def queues(self) -> list[Queue]:
        """Every queue, in the order a worker serves them."""
        return [Queue(name, connection=self.connection) for name in QUEUES]

    def enqueue(
        self, job: str, *args: Any, queue_name: str | None = None, **options: Any
    ) -> Job | None:
        if self._connection is None:
            return None
        queue = Queue(queue_name or self.name, connection=self._connection)
        return queue.enqueue(job, *args, **options)
