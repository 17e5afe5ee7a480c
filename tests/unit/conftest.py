"""Unit-tier fixtures: the whole application wired by ``bootstrap`` on fakeredis, with a
frozen clock, so application services, the projector and the scan run in-process.

The shared fixtures (``services``, ``store``, ``tokens``...) build on ``redis_client`` and
``config``; overriding those two here puts every one of them on a fresh in-memory server
per test. The store's scripts are the production ones; tests/contract holds fakeredis to
a real redis-server for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fakeredis
import pytest
import redis

from service.runtime.config import Config
from tests.conftest import SECRETS_KEY


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    # A server of its own: FakeRedis instances with default arguments share one.
    client = fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    # The URL is never dialled (bootstrap is handed the client); fakeredis has no AOF.
    return Config(
        redis_url="redis://fake",
        allow_unsafe_redis=True,
        log_level="WARNING",
        max_body_bytes=16 * 1024,
        data_dir=str(tmp_path / "data"),
        secrets_key=SECRETS_KEY,
    )
