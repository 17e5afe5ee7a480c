"""A lease in Redis so that only one worker projects at a time; the others wait.

The lease only avoids wasted work. Correctness does not rest on it: every batch commits
under WATCH on the checkpoints, so a worker whose lease lapsed (a long pause) finds its
transaction refused instead of applying events twice.
"""

from __future__ import annotations

import time
import uuid

import redis

# Compare-and-extend / compare-and-delete: only the holder may renew or release.
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Lease:
    def __init__(self, client: redis.Redis, key: str, ttl_ms: int = 30_000) -> None:
        self.redis = client
        self.key = key
        self.ttl_ms = ttl_ms
        self.owner = str(uuid.uuid4())
        self._renew = client.register_script(RENEW)
        self._release = client.register_script(RELEASE)

    def acquire(self, wait_seconds: float = 0.0, poll_seconds: float = 0.05) -> bool:
        """Take the lease, waiting up to ``wait_seconds`` for the holder to finish."""
        deadline = time.monotonic() + wait_seconds
        while True:
            if self.redis.set(self.key, self.owner, nx=True, px=self.ttl_ms):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll_seconds)

    def renew(self) -> bool:
        """Extend the lease; False when it lapsed and may be someone else's now."""
        return bool(self._renew(keys=[self.key], args=[self.owner, self.ttl_ms]))

    def release(self) -> None:
        self._release(keys=[self.key], args=[self.owner])

    def holder(self) -> str | None:
        found = self.redis.get(self.key)
        return found.decode() if isinstance(found, bytes) else found
