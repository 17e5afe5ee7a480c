"""A lease in Redis so that only one worker projects at a time; the others wait.

It is redis-py's own lock (``redis.lock.Lock``: SET NX PX to take it, compare-and-set
scripts to extend and release), so only the holder can renew or release it. This module
adds the two answers the projector needs instead of exceptions: ``renew()`` says False
when the lease lapsed (someone else may hold it now), and ``release()`` of a lapsed lease
does nothing, because the key is no longer ours to delete.

The lease only avoids wasted work. Correctness does not rest on it: every batch commits
under WATCH on the checkpoints, so a worker whose lease lapsed (a long pause) finds its
transaction refused instead of applying events twice.
"""

from __future__ import annotations

from contextlib import suppress

import redis
from redis.exceptions import LockError
from redis.lock import Lock

POLL_SECONDS = 0.05


class Lease(Lock):
    def renew(self) -> bool:
        """Extend the lease to its full time to live; False when it lapsed."""
        try:
            return bool(self.reacquire())
        except LockError:  # LockNotOwnedError included: the key expired or is another's
            return False

    def release(self) -> None:
        # Lapsed: whoever holds the key now keeps it.
        with suppress(LockError):
            super().release()


def lease(client: redis.Redis, key: str, ttl_ms: int = 30_000) -> Lease:
    """The lease on ``key``; ``acquire(blocking_timeout=seconds)`` waits for the holder."""
    # Not thread-local: the lease belongs to this object, as the projector that holds it.
    return client.lock(
        key,
        timeout=ttl_ms / 1000,
        sleep=POLL_SECONDS,
        thread_local=False,
        lock_class=Lease,
    )
