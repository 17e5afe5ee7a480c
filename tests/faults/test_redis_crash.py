"""SIGKILL redis-server while eight clients append: every acknowledged event survives.

The clients are separate processes; an event counts as acknowledged once append()
returned it. After a restart from the AOF (and again with a torn final record, as a
crash in the middle of a write leaves it), each acknowledged event is at its position,
nothing is duplicated and both hash chains verify.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from pathlib import Path

import pytest
import redis

from service.ledger.eventstore import EventStore
from service.ledger.keys import Keys
from service.runtime.clock import SystemClock
from service.runtime.redis_server import RedisServer
from tests.faults.append_client import Ack, append_until_failure

CLIENTS = 8
ACKS_BEFORE_KILL = 600
pytestmark = pytest.mark.slow


def _crash_under_load(server: RedisServer) -> list[Ack]:
    context = multiprocessing.get_context("spawn")
    acks: multiprocessing.Queue = context.Queue()
    workers = [
        context.Process(target=append_until_failure, args=(server.url, n, acks))
        for n in range(CLIENTS)
    ]
    for worker in workers:
        worker.start()
    received: list[Ack] = []
    deadline = time.monotonic() + 120
    while len(received) < ACKS_BEFORE_KILL and time.monotonic() < deadline:
        item = acks.get(timeout=60)
        if item is not None:
            received.append(item)
    server.kill()
    finished = 0
    while finished < CLIENTS:
        try:
            item = acks.get(timeout=30)
        except queue.Empty:
            break
        if item is None:
            finished += 1
        else:
            received.append(item)
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert len(received) >= ACKS_BEFORE_KILL
    return received


def _assert_survived(server: RedisServer, acknowledged: list[Ack]) -> None:
    client = redis.Redis.from_url(server.url, decode_responses=True)
    store = EventStore(client, SystemClock(), Keys("rt"))
    log = list(store.iter_log())
    by_position = {event.position: event for event in log}
    assert [e.position for e in log] == list(range(1, len(log) + 1)), "gap in the global log"
    assert len({e.id for e in log}) == len(log), "duplicated event"
    for stream, version, position, event_id in acknowledged:
        found = by_position.get(position)
        assert found is not None, f"acknowledged event at {position} lost"
        assert (found.id, found.stream, found.version) == (event_id, stream, version)
    report = store.verify()
    assert report.ok, report
    client.close()


def _tear_last_write(data_dir: Path) -> None:
    """Append half a command to the newest AOF file, as a crash mid-write leaves it."""
    candidates = sorted(data_dir.rglob("*.aof"), key=lambda p: p.stat().st_mtime)
    with candidates[-1].open("ab") as aof:
        aof.write(b"*3\r\n$4\r\nXADD\r\n$12\r\n{rt}:log")


def test_acknowledged_events_survive_sigkill(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis").start()
    acknowledged = _crash_under_load(server)
    restarted = RedisServer(server.data_dir, server.port).start()
    try:
        _assert_survived(restarted, acknowledged)
    finally:
        restarted.stop()


def test_a_torn_final_record_is_dropped_and_the_log_verifies(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis").start()
    acknowledged = _crash_under_load(server)
    _tear_last_write(server.data_dir)
    restarted = RedisServer(server.data_dir, server.port, "--aof-load-truncated", "yes").start()
    try:
        assert "Truncating the AOF" in (server.data_dir / "redis.log").read_text()
        _assert_survived(restarted, acknowledged)
    finally:
        restarted.stop()
