"""The store's contract: every test here runs on fakeredis ("fake"), on a real
redis-server ("real"), and on a real three-primary Redis Cluster through redis-py's
cluster client ("cluster"), with the deployment's keys in one slot as keys.py lays
them out.

The fast tier trusts fakeredis only as far as this suite holds it to the real server:
the same tests, the same Lua scripts, the same assertions. A behaviour fakeredis gets
wrong fails the "fake" run while the "real" run passes, instead of passing silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import fakeredis
import pytest
import redis

from service.runtime.config import Config
from service.runtime.connection import connect
from service.runtime.redis_server import ClusterRedis

BACKENDS = ["fake", "real", "cluster"]


@dataclass
class Backend:
    """One Redis server for one test; ``connect`` opens another client on it, as another
    service instance would."""

    name: str
    open_client: Callable[[], redis.Redis]
    opened: list[redis.Redis] = field(default_factory=list)

    def connect(self) -> redis.Redis:
        client = self.open_client()
        self.opened.append(client)
        return client

    def close(self) -> None:
        for client in self.opened:
            client.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "fake":
        server = fakeredis.FakeServer()
        chosen = Backend("fake", lambda: fakeredis.FakeRedis(server=server, decode_responses=True))
    elif request.param == "cluster":
        cluster: ClusterRedis = request.getfixturevalue("redis_cluster")
        cluster.flush()
        config = Config(redis_url=cluster.url, redis_cluster=True)
        chosen = Backend("cluster", lambda: connect(config))
    else:
        # Requested only here, so that the fake runs never start a redis-server.
        url: str = request.getfixturevalue("redis_url")
        chosen = Backend("real", lambda: redis.Redis.from_url(url, decode_responses=True))
    yield chosen
    chosen.close()


@pytest.fixture
def redis_client(backend: Backend) -> redis.Redis:
    """The shared ``store`` fixture's client, on whichever server this run is against."""
    return backend.connect()
