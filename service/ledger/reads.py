"""Reads that can share one round trip to Redis.

A ``Read`` is one Redis command plus what turns its reply into a result. Run alone it
costs a round trip like any call; reads that do not depend on each other can be queued
on one pipeline instead (``replies``), which is how a command request fetches the
caller's token and the milestone's newest events together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import redis

T = TypeVar("T")


@dataclass(frozen=True)
class Read(Generic[T]):
    # Sends the command on a client (returns the reply) or a pipeline (queues it).
    send: Callable[[Any], Any]
    # The result from the reply; may raise (NotFound, say), so finish in a safe order.
    finish: Callable[[Any], T]

    def run(self, client: redis.Redis) -> T:
        """This read alone: one round trip."""
        return self.finish(self.send(client))


def replies(client: redis.Redis, *reads: Read[Any]) -> list[Any]:
    """The raw replies of ``reads``, fetched in one round trip (no MULTI: each read is
    consistent on its own, and none depends on another). The caller finishes each."""
    pipe = client.pipeline(transaction=False)
    for read in reads:
        read.send(pipe)
    return list(pipe.execute())
