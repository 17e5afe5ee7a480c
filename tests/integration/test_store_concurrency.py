"""Concurrent writers against a real redis-server: optimistic concurrency on one stream,
and a gap-free, duplicate-free global log when many streams are written at once.

The same worker functions run in threads and in spawned processes (each with its own
connection and EventStore), because the guarantees must hold across service instances,
not only inside one interpreter.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

import pytest
import redis

from service.ledger.domain.chain import Actor
from service.ledger.eventstore import EventStore, VersionConflict
from service.ledger.keys import Keys
from service.runtime.clock import SystemClock
from service.tracking.domain import events as ev

WAIT_SECONDS = 30


class Barrier(Protocol):
    def wait(self, timeout: float | None = None) -> int: ...


class ResultQueue(Protocol):
    def put(self, item: Any) -> None: ...

    def get(self, block: bool = True, timeout: float | None = None) -> Any: ...


def _writer_store(url: str) -> tuple[EventStore, Actor]:
    client = redis.Redis.from_url(url, decode_responses=True)
    actor = Actor(token_id=f"writer-{os.getpid()}-{threading.get_ident()}", role="reporter")
    return EventStore(client, SystemClock(), Keys("rt")), actor


def contend_for_one_stream(
    url: str, stream: str, rounds: int, barrier: Barrier, results: ResultQueue
) -> None:
    """Each round: every writer reads the version, then all append expecting it."""
    try:
        store, actor = _writer_store(url)
        outcomes: list[tuple[str, int, int, str]] = []
        for round_number in range(rounds):
            barrier.wait(WAIT_SECONDS)  # the previous round's winner has written
            seen = store.stream_version(stream)
            barrier.wait(WAIT_SECONDS)  # everybody has read before anybody writes
            try:
                result = store.append(
                    stream,
                    [ev.CommentAdded(f"{actor.token_id} round {round_number}")],
                    expected_version=seen,
                    actor=actor,
                )
            except VersionConflict as conflict:
                outcomes.append(("lost", seen, conflict.actual, ""))
            else:
                event = result.events[0]
                outcomes.append(("won", seen, event.version, event.id))
        results.put(outcomes)
    except Exception as error:  # reported to the test instead of hanging it
        results.put(f"{type(error).__name__}: {error}")


def append_to_shared_streams(
    url: str, writer: int, appends: int, streams: int, barrier: Barrier, results: ResultQueue
) -> None:
    """Writers interleave on the same streams, with batches of 1-3 events."""
    try:
        store, actor = _writer_store(url)
        acknowledged: list[tuple[str, str, int, int]] = []
        barrier.wait(WAIT_SECONDS)
        for number in range(appends):
            batch = [ev.CommentAdded(f"{writer}/{number}/{k}") for k in range(1 + number % 3)]
            result = store.append(
                f"milestone-{(writer + number) % streams}",
                batch,
                expected_version=None,
                actor=actor,
            )
            acknowledged += [(e.id, e.stream, e.version, e.position) for e in result.events]
        results.put(acknowledged)
    except Exception as error:
        results.put(f"{type(error).__name__}: {error}")


Launch = Callable[[int, Callable[..., None], Callable[[int], tuple[Any, ...]]], list[Any]]


def run_in_threads(
    workers: int, target: Callable[..., None], args: Callable[[int], tuple[Any, ...]]
) -> list[Any]:
    barrier = threading.Barrier(workers)
    results: queue.Queue[Any] = queue.Queue()
    threads = [
        threading.Thread(target=target, args=(*args(n), barrier, results)) for n in range(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    return _collect(results, workers)


def run_in_processes(
    workers: int, target: Callable[..., None], args: Callable[[int], tuple[Any, ...]]
) -> list[Any]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(*args(n), barrier, results)) for n in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        return _collect(results, workers)
    finally:
        for process in processes:
            process.join(WAIT_SECONDS)
            if process.is_alive():
                process.kill()


def _collect(results: ResultQueue, workers: int) -> list[Any]:
    collected = [results.get(timeout=WAIT_SECONDS) for _ in range(workers)]
    errors = [item for item in collected if isinstance(item, str)]
    assert not errors, errors
    return collected


LAUNCHERS = [
    pytest.param(run_in_threads, id="threads"),
    pytest.param(run_in_processes, id="processes"),
]


@pytest.mark.parametrize("launch", LAUNCHERS)
def test_exactly_one_writer_wins_each_version_of_a_contended_stream(
    launch: Launch, redis_url: str, store: EventStore
) -> None:
    workers, rounds = 4, 25
    per_writer = launch(
        workers, contend_for_one_stream, lambda _n: (redis_url, "milestone-contended", rounds)
    )
    outcomes = [outcome for writer in per_writer for outcome in writer]

    winners = sorted((o for o in outcomes if o[0] == "won"), key=lambda o: o[2])
    losers = [o for o in outcomes if o[0] == "lost"]
    assert [version for _, _, version, _ in winners] == list(range(1, rounds + 1))
    assert all(version == seen + 1 for _, seen, version, _ in winners)
    assert len(losers) == rounds * (workers - 1)
    # A loser is told the version the round's winner produced.
    assert all(actual == seen + 1 for _, seen, actual, _ in losers)

    stored = store.read_stream("milestone-contended")
    assert [e.version for e in stored] == list(range(1, rounds + 1))
    assert [e.id for e in stored] == [event_id for _, _, _, event_id in winners]
    assert store.stream_version("milestone-contended") == rounds
    report = store.verify()
    assert report.ok, report
    assert report.events_checked == rounds


@pytest.mark.parametrize(
    ("launch", "workers", "appends"),
    [
        pytest.param(run_in_threads, 8, 40, id="threads"),
        pytest.param(run_in_processes, 4, 40, id="processes"),
    ],
)
def test_concurrent_appends_to_many_streams_leave_a_gap_free_global_log(
    launch: Launch, workers: int, appends: int, redis_url: str, store: EventStore
) -> None:
    streams = 5
    per_writer = launch(
        workers, append_to_shared_streams, lambda n: (redis_url, n, appends, streams)
    )
    acknowledged = [event for writer in per_writer for event in writer]
    total = len(acknowledged)
    assert total == workers * sum(1 + n % 3 for n in range(appends))

    log = list(store.iter_log(batch=97))
    assert [e.position for e in log] == list(range(1, total + 1))
    assert Counter(e.id for e in log) == Counter(event_id for event_id, *_ in acknowledged)
    by_id = {e.id: (e.id, e.stream, e.version, e.position) for e in log}
    assert all(by_id[event[0]] == event for event in acknowledged)

    for number in range(streams):
        stream = f"milestone-{number}"
        versions = [e.version for e in store.read_stream(stream)]
        assert versions == list(range(1, len(versions) + 1))
        assert store.stream_version(stream) == len(versions)
    assert store.head_position() == total
    report = store.verify()
    assert report.ok, report
    assert report.events_checked == total


def test_racing_creations_register_each_child_once_in_log_order(
    redis_url: str, store: EventStore
) -> None:
    """Every writer tries to create every initiative; only one creation of each wins."""
    workers, children = 6, 12
    barrier = threading.Barrier(workers)
    won: list[str] = []
    lost: list[str] = []
    lock = threading.Lock()

    def create_all(writer: int) -> None:
        writer_store, actor = _writer_store(redis_url)
        barrier.wait(WAIT_SECONDS)
        for number in range(children):
            stream = f"initiative-{(number + writer) % children}"
            try:
                writer_store.append(
                    stream,
                    [ev.CommentAdded(f"created by {writer}")],
                    expected_version=0,
                    actor=actor,
                    parent="programme-1",
                )
                outcome = won
            except VersionConflict:
                outcome = lost
            with lock:
                outcome.append(stream)

    threads = [threading.Thread(target=create_all, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)

    assert sorted(won) == sorted(f"initiative-{n}" for n in range(children))
    assert len(lost) == children * (workers - 1)
    created_in_log_order = [e.stream for e in store.iter_log()]
    assert store.children("programme-1") == created_in_log_order
    assert store.verify().ok
