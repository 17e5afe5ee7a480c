"""Idempotency-Key handling in the store: a retried request appends exactly once and is
pointed at what the original request appended; a reused key for another request is
refused without writing anything."""

from __future__ import annotations

import threading

import pytest
import redis

from service.ledger.domain.chain import Actor, RecordedEvent
from service.ledger.eventstore import (
    AppendResult,
    EventStore,
    Idempotency,
    IdempotencyMismatch,
    Replay,
)
from service.ledger.keys import Keys
from service.runtime.clock import FrozenClock
from service.tracking.domain import events as ev
from tests.contract.conftest import Backend

STREAM = "milestone-7"


def _report(
    store: EventStore,
    actor: Actor,
    idempotency: Idempotency,
    expected_version: int | None = None,
    percent: int = 40,
) -> AppendResult:
    return store.append(
        STREAM,
        [ev.ProgressReported(percent, "cameras installed"), ev.CommentAdded("ok")],
        expected_version=expected_version,
        actor=actor,
        idempotency=idempotency,
    )


def _replayed_events(store: EventStore, replay: Replay) -> list[RecordedEvent]:
    """What a replayed request answers with: the events it originally appended."""
    limit = replay.last_version - replay.first_version + 1
    return store.read_stream(replay.stream, after_version=replay.first_version - 1, limit=limit)


def test_a_retry_with_the_same_key_appends_once_and_points_at_the_original_events(
    store: EventStore, system_actor: Actor
) -> None:
    store.append(STREAM, [ev.CommentAdded("before")], expected_version=0, actor=system_actor)
    key = Idempotency(scope="token-1", key="retry-1", fingerprint="POST /report {40}")
    assert store.idempotent_replay(key) is None

    original = _report(store, system_actor, key)
    retried = _report(store, system_actor, key)

    assert original.replay is None and [e.version for e in original.events] == [2, 3]
    assert retried.events == []
    assert retried.replay == Replay(stream=STREAM, first_version=2, last_version=3)
    assert store.idempotent_replay(key) == retried.replay
    assert _replayed_events(store, retried.replay) == original.events
    assert store.head_position() == 3
    assert store.verify().ok


def test_a_retry_carrying_the_version_it_originally_expected_is_replayed_not_refused(
    store: EventStore, system_actor: Actor
) -> None:
    """The first response was lost; the client resends the same request, If-Match and all."""
    key = Idempotency(scope="token-1", key="lost-response", fingerprint="fp")
    original = _report(store, system_actor, key, expected_version=0)
    retried = _report(store, system_actor, key, expected_version=0)
    assert retried.replay is not None
    assert _replayed_events(store, retried.replay) == original.events
    assert store.head_position() == 2


def test_the_same_key_for_a_different_request_is_refused_and_appends_nothing(
    store: EventStore, redis_client: redis.Redis, system_actor: Actor
) -> None:
    _report(store, system_actor, Idempotency("token-1", "k", "fingerprint-A"), percent=40)
    before = list(store.iter_log())
    heads = redis_client.hgetall(Keys("rt").heads)

    for expected_version in (None, 2):
        with pytest.raises(IdempotencyMismatch):
            _report(
                store,
                system_actor,
                Idempotency("token-1", "k", "fingerprint-B"),
                expected_version=expected_version,
                percent=90,
            )
    with pytest.raises(IdempotencyMismatch):
        store.idempotent_replay(Idempotency("token-1", "k", "fingerprint-B"))

    assert list(store.iter_log()) == before
    assert redis_client.hgetall(Keys("rt").heads) == heads
    assert len(store.read_stream(STREAM)) == 2


def test_keys_are_scoped_so_two_tokens_may_use_the_same_key(
    store: EventStore, system_actor: Actor
) -> None:
    first = _report(store, system_actor, Idempotency("token-1", "k", "fp"))
    second = _report(store, system_actor, Idempotency("token-2", "k", "other-fp"))
    assert first.replay is None and second.replay is None
    assert store.head_position() == 4


def test_an_idempotency_record_expires_with_its_ttl(
    redis_client: redis.Redis, clock: FrozenClock, system_actor: Actor
) -> None:
    store = EventStore(redis_client, clock, Keys("rt"), idempotency_ttl=60)
    key = Idempotency("token-1", "ttl", "fp")
    _report(store, system_actor, key)
    ttl = redis_client.ttl(Keys("rt").idempotency("token-1", "ttl"))
    assert 0 < ttl <= 60


@pytest.mark.parametrize("expected_version", [None, 0], ids=["any-version", "if-match-0"])
def test_the_same_key_sent_by_ten_concurrent_requests_appends_once(
    expected_version: int | None,
    backend: Backend,
    clock: FrozenClock,
    store: EventStore,
    system_actor: Actor,
) -> None:
    requests = 10
    key = Idempotency("token-1", "burst", "POST /report {40}")
    barrier = threading.Barrier(requests)
    answers: list[list[RecordedEvent]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def send() -> None:
        own_store = EventStore(backend.connect(), clock, Keys("rt"))
        try:
            barrier.wait(30)
            result = _report(own_store, system_actor, key, expected_version=expected_version)
            answer = _replayed_events(own_store, result.replay) if result.replay else result.events
            with lock:
                answers.append(answer)
        except BaseException as error:
            with lock:
                failures.append(error)

    threads = [threading.Thread(target=send) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert failures == []
    assert len(answers) == requests
    appended = store.read_stream(STREAM)
    assert [e.version for e in appended] == [1, 2]
    assert all(answer == appended for answer in answers)
    assert store.head_position() == 2
    assert store.verify().ok
