"""Shared fixtures. Integration tests get a real redis-server (AOF always) per session,
flushed before each test; unit tests never touch the network.

The ``fast`` marker is given here, not written by hand, so that no test can claim it
while needing a server: unit tests and the contract tests' fakeredis runs get it, unless
they start real processes (marked ``processes``). ``pytest -m fast`` is the fast tier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis

from service.ledger.domain.chain import Actor
from service.ledger.eventstore import EventStore
from service.ledger.keys import Keys
from service.runtime.clock import FrozenClock
from service.runtime.redis_server import ClusterRedis, RedisServer
from service.runtime.secretbox import new_key

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from service.bootstrap import Services
    from service.runtime.config import Config


TESTS = Path(__file__).resolve().parent
# The key that seals webhook secrets in every test deployment (and the processes they start).
SECRETS_KEY = new_key()
# The replicated cluster of the tests: fails over a second after a primary falls silent.
REPLICATED = {"replicas": 1, "node_timeout_ms": 1000}


def _is_fast(item: pytest.Item) -> bool:
    servers = {"redis_server", "redis_cluster", "replicated_cluster"}
    if item.get_closest_marker("processes") or servers & set(item.fixturenames):
        return False
    if not item.path.is_relative_to(TESTS):
        return False
    folder = item.path.relative_to(TESTS).parts[0]
    if folder == "unit":
        return True
    callspec = getattr(item, "callspec", None)
    return (
        folder == "contract" and callspec is not None and callspec.params.get("backend") == "fake"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _is_fast(item):
            item.add_marker(pytest.mark.fast)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterRedis]:
    """A three-primary Redis Cluster, each primary as durable as ``redis_server``."""
    cluster = ClusterRedis(tmp_path_factory.mktemp("cluster")).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def replicated_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterRedis]:
    """Three primaries with one replica each, every node guarded as replicated servers
    are (min-replicas-to-write 1); a primary silent for a second is replaced by its
    replica. A test that changes it leaves it settled again."""
    cluster = ClusterRedis(tmp_path_factory.mktemp("replicated-cluster"), **REPLICATED).start()
    yield cluster
    cluster.stop()


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


# --- API fixtures (flaskr-style: app, client) -------------------------------------------

AGENCY_A = "Prosecutor General's Office"
AGENCY_B = "Ministry of Defence"


@pytest.fixture
def config(redis_url: str, tmp_path: Path) -> Config:
    from service.runtime.config import Config

    # Its own data folder: no test signs checkpoints with a key it did not make.
    return Config(
        redis_url=redis_url,
        log_level="WARNING",
        max_body_bytes=16 * 1024,
        data_dir=str(tmp_path / "data"),
        secrets_key=SECRETS_KEY,
    )


@pytest.fixture
def services(config: Config, redis_client: redis.Redis, clock: FrozenClock) -> Services:
    from service.bootstrap import bootstrap

    return bootstrap(config, clock=clock, client=redis_client)


@pytest.fixture
def app(services: Services) -> Flask:
    from service.api.app import create_app

    return create_app(services=services)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def tokens(services: Services) -> dict[str, str]:
    """Plaintext bearer tokens by persona."""
    made = {
        "admin": services.tokens.create("admin", None, "admin")[0],
        "overseer": services.tokens.create("overseer", None, "overseer")[0],
        "viewer": services.tokens.create("viewer", None, "viewer")[0],
        "reporter_a": services.tokens.create("reporter", AGENCY_A, "reporter A")[0],
        "reporter_b": services.tokens.create("reporter", AGENCY_B, "reporter B")[0],
    }
    return made


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}
