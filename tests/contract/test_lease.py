"""The projector's lease on both servers: one holder at a time, and only the holder can
renew or release it (redis-py's compare-and-extend and compare-and-delete scripts)."""

from __future__ import annotations

import redis

from service.runtime.lease import lease
from tests.contract.conftest import Backend

KEY = "{rt}:projector:lease"


def test_one_holder_at_a_time_and_only_the_holder_renews_or_releases(
    backend: Backend, redis_client: redis.Redis
) -> None:
    first = lease(redis_client, KEY, 5_000)
    second = lease(backend.connect(), KEY, 5_000)
    assert first.acquire(blocking=False) and not second.acquire(blocking=False)
    assert first.owned() and not second.owned()

    assert not second.renew()
    second.release()  # not the holder: changes nothing
    assert first.owned()

    redis_client.pexpire(KEY, 100)
    assert first.renew()
    assert 100 < redis_client.pttl(KEY) <= 5_000
    first.release()
    assert not redis_client.exists(KEY) and not first.renew()
    assert second.acquire(blocking=False) and second.owned()


def test_a_lapsed_lease_can_be_taken_and_the_old_holder_no_longer_renews(
    backend: Backend, redis_client: redis.Redis
) -> None:
    first = lease(redis_client, KEY, 5_000)
    second = lease(backend.connect(), KEY, 5_000)
    assert first.acquire(blocking=False)
    redis_client.delete(KEY)  # as if it expired during a long pause
    assert second.acquire(blocking=False)
    assert not first.renew()
    first.release()
    assert second.owned()
