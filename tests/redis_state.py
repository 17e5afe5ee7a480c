"""Every key in Redis with its value, to show that something wrote nothing."""

from __future__ import annotations

from typing import Any

import redis

READERS = {
    "string": lambda c, k: c.get(k),
    "hash": lambda c, k: c.hgetall(k),
    "set": lambda c, k: c.smembers(k),
    "zset": lambda c, k: c.zrange(k, 0, -1, withscores=True),
    "list": lambda c, k: c.lrange(k, 0, -1),
    "stream": lambda c, k: c.xrange(k),
}


def redis_state(client: redis.Redis) -> dict[str, Any]:
    """Every key but the rate limiter's, with its value."""
    return {
        key: READERS[client.type(key)](client, key)
        for key in client.scan_iter(count=1000)
        if ":ratelimit" not in key
    }
