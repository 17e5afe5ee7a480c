"""A client process that appends until its Redis dies, reporting every acknowledgement."""

from __future__ import annotations

import multiprocessing
import uuid

import redis

from service.ledger.domain.chain import Actor
from service.ledger.eventstore import EventStore
from service.ledger.keys import Keys
from service.runtime.clock import SystemClock
from service.tracking.domain import events as ev

Ack = tuple[str, int, int, str]  # stream, version, position, event id


def append_until_failure(url: str, client_no: int, acks: multiprocessing.Queue) -> None:
    client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5)
    store = EventStore(client, SystemClock(), Keys("rt"))
    actor = Actor(token_id=f"client-{client_no}", role="reporter", agency="A")
    streams = [f"milestone-{uuid.uuid4()}" for _ in range(4)]
    versions = dict.fromkeys(streams, 0)
    n = 0
    while True:
        stream = streams[n % len(streams)]
        try:
            result = store.append(
                stream,
                [ev.CommentAdded(text=f"{client_no}:{n}")],
                expected_version=versions[stream],
                actor=actor,
            )
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            acks.put(None)
            return
        for event in result.events:
            acks.put((event.stream, event.version, event.position, event.id))
        versions[stream] = result.version
        n += 1
