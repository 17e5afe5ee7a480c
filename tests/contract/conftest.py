"""The store's contract: every test here runs once on fakeredis ("fake") and once on a
real redis-server ("real").

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

BACKENDS = ["fake", "real"]


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
