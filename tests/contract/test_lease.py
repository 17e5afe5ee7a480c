"""The projector's lease on both servers: one holder at a time, and only the holder can
renew or release it (the compare-and-extend and compare-and-delete scripts)."""

from __future__ import annotations

import redis

from service.runtime.lease import Lease
from tests.contract.conftest import Backend

KEY = "{rt}:projector:lease"


def test_one_holder_at_a_time_and_only_the_holder_renews_or_releases(
    backend: Backend, redis_client: redis.Redis
) -> None:
    first, second = Lease(redis_client, KEY, 5_000), Lease(backend.connect(), KEY, 5_000)
    assert first.acquire() and not second.acquire()
    assert first.holder() == second.holder() == first.owner

    assert not second.renew()
    second.release()  # not the holder: changes nothing
    assert first.holder() == first.owner

    redis_client.pexpire(KEY, 100)
    assert first.renew()
    assert 100 < redis_client.pttl(KEY) <= 5_000
    first.release()
    assert first.holder() is None and not first.renew()
    assert second.acquire() and second.holder() == second.owner


def test_a_lapsed_lease_can_be_taken_and_the_old_holder_no_longer_renews(
    backend: Backend, redis_client: redis.Redis
) -> None:
    first, second = Lease(redis_client, KEY, 5_000), Lease(backend.connect(), KEY, 5_000)
    assert first.acquire()
    redis_client.delete(KEY)  # as if it expired during a long pause
    assert second.acquire()
    assert not first.renew()
    first.release()
    assert second.holder() == second.owner
