"""Shared fixtures. Integration tests get a real redis-server (AOF always) per session,
flushed before each test; unit tests never touch the network."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from service.clock import FrozenClock
from service.store.chain import Actor
from service.store.eventstore import EventStore
from service.store.keys import Keys
from tests.redis_server import RedisServer


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


@pytest.fixture
def store(redis_client: redis.Redis, clock: FrozenClock) -> EventStore:
    return EventStore(redis_client, clock, Keys("rt"))


@pytest.fixture
def system_actor() -> Actor:
    return Actor(token_id="test", role="admin", agency=None)


def data_path(tmp_path: Path) -> Path:
    return tmp_path / "data"
