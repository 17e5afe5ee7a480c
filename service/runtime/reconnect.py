"""Waiting out a Redis that is down or restarting, for the long-running processes.

The worker and the scheduler must outlive a Redis restart (a crash, a failover, an
upgrade): they wait, retry with exponential backoff, and carry on with the same
settings once Redis answers again. Redis keeps everything acknowledged in its fsynced
AOF, so nothing has to be rebuilt on the way back; the processes only reconnect.

The backoff starts short, so a quick restart costs about a second, and is capped, so a
long outage is noticed within ``cap`` seconds of its end. A stop request (SIGTERM,
Ctrl-C) ends the wait at once.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass

from service.runtime.connection import UNAVAILABLE, Client

log = logging.getLogger("reform_tracker.reconnect")

INITIAL_DELAY = 0.5
MAX_DELAY = 10.0


@dataclass
class Backoff:
    """Exponential delays with jitter (so many processes do not retry in step)."""

    initial: float = INITIAL_DELAY
    cap: float = MAX_DELAY
    factor: float = 2.0
    attempt: int = 0

    def next_delay(self) -> float:
        delay = min(self.cap, self.initial * self.factor**self.attempt)
        self.attempt += 1
        return delay * random.uniform(0.8, 1.0)

    def reset(self) -> None:
        self.attempt = 0


def reachable(client: Client) -> bool:
    try:
        client.ping()
        client.dbsize()  # refused with LOADING while a restarted Redis replays its AOF
    except UNAVAILABLE:
        return False
    return True


def wait_until_reachable(client: Client, stopping: threading.Event, what: str) -> bool:
    """Block until Redis answers (True) or a stop is requested (False), logging each
    retry. ``what`` names the waiting process in the log."""
    backoff = Backoff()
    while not stopping.is_set():
        if reachable(client):
            log.info("%s: redis is reachable again", what)
            return True
        delay = backoff.next_delay()
        log.warning("%s: redis is unavailable; retrying in %.1f s", what, delay)
        stopping.wait(delay)
    return False
