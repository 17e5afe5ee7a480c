"""Group commit: appends queued under contention are committed together, in order, with
the same guarantees as a lone append — version checks, idempotency, both hash chains."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from service.clock import FrozenClock
from service.domain import events as ev
from service.store.chain import Actor
from service.store.eventstore import EventStore, Idempotency, VersionConflict
from service.store.keys import Keys

ACTOR = Actor(token_id="t", role="reporter", agency="A")


def queued_store(url: str, clock: FrozenClock, group_commit: bool = True) -> EventStore:
    """A store whose appends all take the queue (as they do under contention)."""
    client = redis.Redis.from_url(url, decode_responses=True)
    store = EventStore(client, clock, Keys("rt"), group_commit=group_commit)
    if store.group_commit:
        store.group_commit.contended = lambda: True  # type: ignore[method-assign]
    return store


def comment(n: int) -> list[ev.DomainEvent]:
    return [ev.CommentAdded(text=f"c{n}")]


def test_queued_appends_from_many_threads_form_one_verifiable_log(redis_url, clock) -> None:
    def client(n: int) -> list[int]:
        store = queued_store(redis_url, clock)
        positions = []
        for round_ in range(15):
            result = store.append(
                f"milestone-{n}", comment(round_), expected_version=round_, actor=ACTOR
            )
            positions += [e.position for e in result.events]
        return positions

    with ThreadPoolExecutor(12) as pool:
        acknowledged = [p for positions in pool.map(client, range(12)) for p in positions]
    store = queued_store(redis_url, clock)
    assert sorted(acknowledged) == list(range(1, 12 * 15 + 1))
    assert store.verify().ok
    assert all(store.stream_version(f"milestone-{n}") == 15 for n in range(12))


def test_racing_expected_versions_have_exactly_one_winner(redis_url, clock) -> None:
    barrier = threading.Barrier(8)

    def racer(_: int) -> str:
        store = queued_store(redis_url, clock)
        barrier.wait()
        try:
            store.append("milestone-x", comment(0), expected_version=0, actor=ACTOR)
        except VersionConflict:
            return "conflict"
        return "won"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(racer, range(8)))
    assert outcomes.count("won") == 1 and outcomes.count("conflict") == 7
    assert queued_store(redis_url, clock).head_position() == 1


def test_idempotent_twins_in_one_queue_append_once(redis_url, clock) -> None:
    barrier = threading.Barrier(6)
    key = Idempotency("token", "same-key", "fingerprint")

    def twin(_: int) -> tuple[str, ...]:
        store = queued_store(redis_url, clock)
        barrier.wait()
        result = store.append(
            "milestone-y", comment(1), expected_version=None, actor=ACTOR, idempotency=key
        )
        if result.replay:
            return ("replay", str(result.replay.last_version))
        return ("appended", str(result.version))

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(twin, range(6)))
    assert outcomes.count(("appended", "1")) == 1
    assert outcomes.count(("replay", "1")) == 5
    assert queued_store(redis_url, clock).head_position() == 1


def test_a_dead_committer_only_delays_the_queue(redis_url, clock) -> None:
    store = queued_store(redis_url, clock)
    store.redis.set(store.keys.committer, "a committer that died", px=400)
    started = time.monotonic()
    result = store.append("milestone-z", comment(2), expected_version=0, actor=ACTOR)
    assert result.events[0].position == 1
    assert time.monotonic() - started >= 0.3  # it waited for the dead lease to run out
    assert store.redis.llen(store.keys.pending_appends) == 0
    assert store.verify().ok


def test_queue_and_direct_writers_interleave_safely(redis_url, clock) -> None:
    """Writers that never queue (group commit off) move the heads under the committer's
    plans; every stale plan is planned again, nothing is lost or forked."""

    def writer(n: int) -> int:
        store = queued_store(redis_url, clock, group_commit=n % 2 == 0)
        for round_ in range(20):
            store.append(f"milestone-{n}", comment(round_), expected_version=round_, actor=ACTOR)
        return n

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(writer, range(8)))
    store = queued_store(redis_url, clock)
    assert store.head_position() == 160
    assert store.verify().ok


@pytest.mark.parametrize("group_commit", [True, False])
def test_children_are_registered_once(redis_url, clock, group_commit: bool) -> None:
    store = queued_store(redis_url, clock, group_commit)
    store.append(
        "programme-1",
        [ev.ProgrammeCreated("1", "T", "", "A")],
        expected_version=0,
        actor=ACTOR,
        parent="",
    )
    assert store.children("") == ["programme-1"]


def test_an_unanswered_append_times_out_and_a_keyed_retry_gets_the_result(
    client, tokens, services, monkeypatch
) -> None:
    """No committer for too long: 503 (the outcome is unknown); the queued request is still
    committed later, and a retry with the same Idempotency-Key returns that result."""
    from service.store import group_commit
    from tests.conftest import bearer
    from tests.integration.api_helpers import post, seed

    s = seed(client, tokens)
    monkeypatch.setattr(group_commit, "DEADLINE_SECONDS", 0.3)
    store = services.store
    assert store.group_commit is not None
    store.group_commit.contended = lambda: True  # type: ignore[method-assign]
    store.redis.set(store.keys.committer, "a stuck committer", px=60_000)
    path = f"/milestones/{s.milestone_id}/comment"
    headers = {"Idempotency-Key": "timeout-1"}
    refused = post(client, tokens["reporter_a"], path, {"text": "late"}, **headers)
    assert refused.status_code == 503 and refused.json["code"] == "append-timeout"
    assert refused.headers["Retry-After"]

    store.redis.delete(store.keys.committer)
    retried = post(client, tokens["reporter_a"], path, {"text": "late"}, **headers)
    assert retried.status_code == 200, retried.json
    comments = [e for e in store.iter_log() if e.type == "CommentAdded"]
    assert len(comments) == 1 and retried.json["events"][0]["id"] == comments[0].id
    assert client.get("/verify", headers=bearer(tokens["viewer"])).json["ok"]
