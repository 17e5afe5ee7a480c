"""Durability against real redis-server processes: the store refuses a server configured
to lose acknowledged writes, and every acknowledged event survives a SIGKILL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
import redis

from service.ledger.domain.chain import Actor, RecordedEvent
from service.ledger.durability import UnsafeRedis, durability_problems, ensure_durable
from service.ledger.eventstore import EventStore
from service.ledger.keys import Keys
from service.runtime.clock import FrozenClock
from service.runtime.redis_server import RedisServer
from service.tracking.domain import events as ev


class StartServer(Protocol):
    def __call__(self, name: str, *extra: str, port: int | None = None) -> RedisServer: ...


def _client(server: RedisServer) -> redis.Redis:
    return redis.Redis.from_url(server.url, decode_responses=True, socket_timeout=5)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start redis-servers with extra arguments (later ones override the safe defaults)."""
    started: list[RedisServer] = []

    def start(name: str, *extra: str, port: int | None = None) -> RedisServer:
        server = RedisServer(tmp_path / name, port, *extra).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.mark.parametrize(
    ("setting", "value"),
    [("appendfsync", "everysec"), ("appendonly", "no"), ("maxmemory-policy", "allkeys-lru")],
)
def test_a_server_that_could_lose_events_is_refused_naming_the_setting(
    setting: str, value: str, start_server: StartServer
) -> None:
    client = _client(start_server("unsafe", f"--{setting}", value))
    problems = durability_problems(client)
    assert len(problems) == 1 and problems[0].startswith(f"{setting} is {value!r}"), problems

    with pytest.raises(UnsafeRedis) as refused:
        ensure_durable(client, allow_unsafe=False)
    assert setting in str(refused.value) and value in str(refused.value)
    assert ensure_durable(client, allow_unsafe=True) == problems
    client.close()


def test_every_unsafe_setting_is_listed(start_server: StartServer) -> None:
    client = _client(
        start_server(
            "unsafe",
            "--appendfsync",
            "no",
            "--appendonly",
            "no",
            "--maxmemory-policy",
            "volatile-lru",
        )
    )
    problems = durability_problems(client)
    assert [problem.split(" ")[0] for problem in problems] == [
        "appendonly",
        "appendfsync",
        "maxmemory-policy",
    ]
    with pytest.raises(UnsafeRedis):
        ensure_durable(client, allow_unsafe=False)
    client.close()


def test_a_server_hiding_its_configuration_is_refused(start_server: StartServer) -> None:
    """Managed Redis often renames CONFIG away; unknown must count as unsafe."""
    client = _client(start_server("hidden", "--rename-command", "CONFIG", ""))
    problems = durability_problems(client)
    assert len(problems) == 3 and all(p.startswith("cannot read") for p in problems), problems
    with pytest.raises(UnsafeRedis):
        ensure_durable(client, allow_unsafe=False)
    client.close()


def test_a_correctly_configured_server_has_no_problems(redis_client: redis.Redis) -> None:
    assert durability_problems(redis_client) == []
    assert ensure_durable(redis_client, allow_unsafe=False) == []


def _append_until_killed(
    server: RedisServer, clock: FrozenClock, writers: int, before_kill: int
) -> list[RecordedEvent]:
    """Writers append until the server dies under them; returns the acknowledged events."""
    acknowledged: list[RecordedEvent] = []
    lock = threading.Lock()
    enough = threading.Event()

    def write(writer: int) -> None:
        client = _client(server)
        store = EventStore(client, clock, Keys("rt"))
        actor = Actor(token_id=f"writer-{writer}", role="reporter")
        number = 0
        try:
            while True:
                number += 1
                events = store.append(
                    f"milestone-{writer}-{number % 3}",
                    [ev.ProgressReported(number % 100, "body cameras issued")],
                    expected_version=None,
                    actor=actor,
                ).events
                with lock:
                    acknowledged.extend(events)
                    if len(acknowledged) >= before_kill:
                        enough.set()
        except (redis.ConnectionError, redis.TimeoutError):
            return  # the crash: whatever was in flight is not acknowledged
        finally:
            client.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    assert enough.wait(30), "writers did not get going"
    server.kill()
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive()
    return acknowledged


def test_every_acknowledged_event_survives_a_crash_of_redis(
    start_server: StartServer, clock: FrozenClock, system_actor: Actor
) -> None:
    server = start_server("crash")
    acknowledged = _append_until_killed(server, clock, writers=3, before_kill=150)

    restarted = start_server("crash", port=server.port)
    client = _client(restarted)
    store = EventStore(client, clock, Keys("rt"))
    stored = {event.id: event for event in store.iter_log()}
    assert all(stored.get(event.id) == event for event in acknowledged)
    # An append in flight at the kill may have been written but never acknowledged.
    assert len(acknowledged) <= len(stored) <= len(acknowledged) + 3
    report = store.verify()
    assert report.ok, report
    assert report.events_checked == len(stored) == store.head_position()

    store.append(
        "milestone-0-0",
        [ev.CommentAdded("after the crash")],
        expected_version=None,
        actor=system_actor,
    )
    assert store.verify().ok
    client.close()


def test_the_crash_really_discards_what_is_not_on_disk(
    start_server: StartServer, clock: FrozenClock
) -> None:
    """Control for the test above: without an AOF the same crash loses the events."""
    server = start_server("volatile", "--appendonly", "no")
    acknowledged = _append_until_killed(server, clock, writers=1, before_kill=20)
    assert len(acknowledged) >= 20

    client = _client(start_server("volatile", "--appendonly", "no", port=server.port))
    assert EventStore(client, clock, Keys("rt")).head_position() == 0
    client.close()
