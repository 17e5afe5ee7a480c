"""The projector lease: one holder at a time, a wait that ends when the holder lets go,
renewal that tells a lapsed holder so, and a release that never frees someone else's."""

from __future__ import annotations

import threading
import time

import redis

from service.runtime.lease import lease

KEY = "rt:test:lease"


def test_only_one_holder_and_a_waiter_gets_it_when_released(redis_client: redis.Redis) -> None:
    first = lease(redis_client, KEY, ttl_ms=10_000)
    second = lease(redis_client, KEY, ttl_ms=10_000)
    assert first.acquire(blocking=False)
    assert not second.acquire(blocking=False)
    assert not second.acquire(blocking_timeout=0.2)  # waited, the holder kept it

    threading.Timer(0.2, first.release).start()
    started = time.monotonic()
    assert second.acquire(blocking_timeout=5)
    assert 0.1 < time.monotonic() - started < 4
    assert second.owned()


def test_renew_extends_while_held_and_says_false_once_it_lapsed(
    redis_client: redis.Redis,
) -> None:
    holder = lease(redis_client, KEY, ttl_ms=300)
    assert holder.acquire(blocking=False)
    time.sleep(0.2)
    assert holder.renew()
    assert redis_client.pttl(KEY) > 200  # back to the full time to live

    time.sleep(0.4)  # a long pause: the lease lapses and another worker takes it
    other = lease(redis_client, KEY, ttl_ms=10_000)
    assert other.acquire(blocking=False)
    assert holder.renew() is False
    holder.release()  # must not free the other worker's lease
    assert other.owned()
    other.release()
    assert not redis_client.exists(KEY)


def test_renew_after_a_lapse_nobody_took_is_false_too(redis_client: redis.Redis) -> None:
    holder = lease(redis_client, KEY, ttl_ms=50)
    assert holder.acquire(blocking=False)
    time.sleep(0.15)
    assert holder.renew() is False
    assert holder.acquire(blocking=False)  # free again: it may take it anew
