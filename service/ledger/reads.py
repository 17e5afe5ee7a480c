"""Reads that can share one round trip to Redis.

A ``Read`` is one Redis command plus what turns its reply into a result. Run alone it
costs a round trip like any call; reads that do not depend on each other can be queued
on one pipeline instead (``replies``), which is how a command request fetches the
caller's token and the milestone's newest events together. ``together`` makes one Read
of several, as a dashboard's ETag reads the log head, the read models' checkpoints and
their last check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    # How many commands ``send`` queues; more than one only on a pipeline, and ``finish``
    # then takes their replies as a list (see ``together``).
    commands: int = 1

    def run(self, client: redis.Redis) -> T:
        """This read alone: one round trip."""
        if self.commands == 1:
            return self.finish(self.send(client))
        pipe = client.pipeline(transaction=False)
        self.send(pipe)
        return self.finish(list(pipe.execute()))


def together(finish: Callable[..., T], *reads: Read[Any]) -> Read[T]:
    """Several reads as one: queued on the same pipeline, each finished in order, and
    ``finish`` called with their results."""

    def send(pipe: Any) -> None:
        for read in reads:
            read.send(pipe)

    def done(raw: list[Any]) -> T:
        found = zip(reads, _split(raw, reads), strict=True)
        return finish(*(read.finish(reply) for read, reply in found))

    return Read(send, done, sum(read.commands for read in reads))


def _split(raw: list[Any], reads: Sequence[Read[Any]]) -> list[Any]:
    """Each read's reply, or its list of replies, from the flat replies of a pipeline."""
    found, at = [], 0
    for read in reads:
        found.append(raw[at] if read.commands == 1 else raw[at : at + read.commands])
        at += read.commands
    if at != len(raw):
        raise ValueError(f"{len(raw)} replies for {at} commands")
    return found


def replies(client: redis.Redis, *reads: Read[Any]) -> list[Any]:
    """The raw replies of ``reads``, fetched in one round trip (no MULTI: each read is
    consistent on its own, and none depends on another). The caller finishes each."""
    pipe = client.pipeline(transaction=False)
    for read in reads:
        read.send(pipe)
    return _split(list(pipe.execute()), reads)
