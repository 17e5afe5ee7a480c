"""Redis connections for the service (text) and for RQ (bytes)."""

from __future__ import annotations

import redis


def connect(url: str, *, decode: bool = True) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        decode_responses=decode,
        socket_connect_timeout=2,
        socket_timeout=10,
        health_check_interval=15,
        retry_on_timeout=False,
    )
