"""A running service stops acknowledging events once Redis is reconfigured to lose them.

The start-up check alone would leave a live ``CONFIG SET appendfsync no`` unnoticed
until the next restart. The durability guard re-reads the configuration at most once per
MAX_AGE seconds per process, so every write path refuses within that bound, appends
nothing, and resumes once the setting is put back.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from service.api.app import create_app
from service.bootstrap import bootstrap
from service.ledger.batch import append_each
from service.ledger.domain.chain import Actor
from service.ledger.durability import MAX_AGE, DurabilityGuard, UnsafeRedis
from service.ledger.eventstore import EventStore
from service.ledger.keys import Keys
from service.runtime.clock import FrozenClock
from service.runtime.config import Config
from service.runtime.redis_server import RedisServer
from service.tracking.domain import events as ev

UNSAFE = [
    ("appendfsync", "no"),
    ("appendfsync", "everysec"),
    ("appendonly", "no"),
    ("maxmemory-policy", "allkeys-lru"),
]
BODY = {"title": "Army reform 2026", "lead_agency": "Oversight Office"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of its own: the test reconfigures it."""
    started = RedisServer(tmp_path / "redis").start()
    yield started
    started.stop()


@pytest.mark.parametrize(("setting", "value"), UNSAFE)
def test_writes_are_refused_within_the_bound_after_redis_is_made_lossy(
    setting: str, value: str, server: RedisServer, clock: FrozenClock, system_actor: Actor
) -> None:
    services = bootstrap(Config(redis_url=server.url, log_level="WARNING"), clock=clock)
    client = create_app(services=services).test_client()
    headers = {"Authorization": f"Bearer {services.tokens.create('overseer', None)[0]}"}
    assert client.post("/programmes", json=BODY, headers=headers).status_code == 201
    admin = redis.Redis.from_url(server.url, decode_responses=True)
    safe = admin.config_get(setting)[setting]
    head = services.store.head_position()

    admin.config_set(setting, value)
    # Whatever verdict the process holds was reached before the change: now it is stale.
    time.sleep(MAX_AGE)
    refused = client.post("/programmes", json=BODY, headers=headers)
    assert refused.status_code == 503, refused.json
    assert refused.content_type == "application/problem+json"
    assert refused.headers["Retry-After"]
    assert refused.json["code"] == "store-not-durable"
    assert setting in refused.json["detail"] and "nothing was written" in refused.json["detail"]
    # The store's own appends and the batch appends (the overdue scan) are refused too.
    comment = [ev.CommentAdded("after the change")]
    with pytest.raises(UnsafeRedis, match=setting):
        services.store.append("milestone-x", comment, expected_version=None, actor=system_actor)
    with pytest.raises(UnsafeRedis, match=setting):
        append_each(services.store, [("alert-x", comment, 0)], actor=system_actor)
    assert services.store.head_position() == head
    assert client.get("/readyz").status_code == 503

    admin.config_set(setting, safe)
    time.sleep(MAX_AGE)
    assert client.post("/programmes", json=BODY, headers=headers).status_code == 201
    assert services.store.head_position() == head + 1
    assert services.store.verify().ok
    admin.close()


def test_the_guard_costs_one_round_trip_per_interval_not_per_append(
    server: RedisServer, clock: FrozenClock, system_actor: Actor
) -> None:
    client = redis.Redis.from_url(server.url, decode_responses=True)
    now = [0.0]
    store = EventStore(client, clock, Keys("rt"), guard=DurabilityGuard(client, now=lambda: now[0]))

    def configuration_reads() -> int:
        stats = client.info("commandstats").get("cmdstat_config|get", {})
        return int(stats.get("calls", 0))

    def append_some() -> None:
        for n in range(5):
            store.append(
                "milestone-1", [ev.CommentAdded(f"{n}")], expected_version=None, actor=system_actor
            )

    append_some()
    assert configuration_reads() == 4  # the four settings (and INFO), in one pipeline
    now[0] = MAX_AGE * 0.9
    append_some()
    assert configuration_reads() == 4
    now[0] = MAX_AGE * 1.1
    append_some()
    assert configuration_reads() == 8
    assert store.head_position() == 15
    client.close()


def test_allow_unsafe_redis_keeps_its_meaning(server: RedisServer, clock: FrozenClock) -> None:
    """Tests and development may run on a lossy Redis when they say so."""
    admin = redis.Redis.from_url(server.url, decode_responses=True)
    admin.config_set("appendfsync", "no")
    config = Config(redis_url=server.url, log_level="WARNING", allow_unsafe_redis=True)
    services = bootstrap(config, clock=clock)
    client = create_app(services=services).test_client()
    headers = {"Authorization": f"Bearer {services.tokens.create('overseer', None)[0]}"}
    assert client.post("/programmes", json=BODY, headers=headers).status_code == 201
    admin.close()
