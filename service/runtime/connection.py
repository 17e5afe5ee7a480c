"""Redis connections for the service, and the errors a lost Redis raises.

Adapters (the API, the CLI) turn these errors into a 503 or a one-line message; they
name them through this module instead of importing redis themselves.
"""

from __future__ import annotations

import redis

Client = redis.Redis
# The store cannot answer now (down, restarting, still loading its AOF): retry later.
UNAVAILABLE: tuple[type[Exception], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.BusyLoadingError,
)
# Any failure of a Redis command, unavailability included.
StoreError = redis.RedisError


def connect(url: str, *, decode: bool = True) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        decode_responses=decode,
        socket_connect_timeout=2,
        socket_timeout=10,
        health_check_interval=15,
        retry_on_timeout=False,
    )
