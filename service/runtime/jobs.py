"""The RQ queues, and how the service hands work to the workers.

Jobs are named by their dotted path (``workers.jobs.project``), never imported: the
service wakes workers without depending on them, and ``workers/`` depends on the service.
RQ stores pickled job data, so the queue has a connection of its own that does not
decode replies; it shares the service's connection settings.

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

from service.runtime.connection import raw_twin

# Alert work: overdue scans, notifier runs, deliveries, digests.
QUEUE = "reform-tracker"
# Sealing the global chain and projecting the read models (workers.jobs.project).
PROJECTION_QUEUE = "reform-tracker-projection"
# What every worker listens to, most urgent first.
QUEUES = (PROJECTION_QUEUE, QUEUE)


class JobQueue:
    """Enqueue jobs by name on the service's queues; one per process, made by bootstrap."""

    def __init__(self, client: redis.Redis, name: str = QUEUE) -> None:
        self.connection = raw_twin(client)
        self.name = name

    @property
    def queue(self) -> Queue:
        """The queue jobs go to unless they name another."""
        return Queue(self.name, connection=self.connection)

    @property
    def queues(self) -> list[Queue]:
        """Every queue, in the order a worker serves them."""
        return [Queue(name, connection=self.connection) for name in QUEUES]

    def enqueue(self, job: str, *args: Any, queue_name: str | None = None, **options: Any) -> Any:
        queue = Queue(queue_name or self.name, connection=self.connection)
        return queue.enqueue(job, *args, **options)
