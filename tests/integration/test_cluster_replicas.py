"""The service on a Redis Cluster whose primaries have a replica each: an append is
acknowledged only once the replica of the primary serving the deployment's slot has it
(Redis WAIT on that primary's connection), as on a single primary with replicas
(test_replicated_appends.py). The default asks for one replica here too: the durability
guard reads each primary's replicas, the slot owner's among them.

A replica that stops confirming (its process stopped, or its clients paused by an
operator) holds acknowledgement back: the append answers 503 within the replica timeout,
and the retry with the same Idempotency-Key, once the replica is back, returns it with
exactly one event in the log. tests/faults/test_cluster_failover.py kills the primary.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from service.api.app import create_app
from service.bootstrap import Services
from service.ledger.domain.chain import Actor
from service.ledger.durability import MAX_AGE
from service.ledger.eventstore import AppendNotReplicated, Idempotency
from service.runtime.clock import FrozenClock
from service.runtime.connection import SENTINEL_OPTIONS
from service.runtime.redis_server import ClusterNode, ClusterRedis
from service.tracking.domain import events as ev
from tests.integration.api_helpers import post
from tests.integration.test_cluster import on_cluster
from tests.integration.test_replicated_appends import BODY, wait_calls

ASKED = SENTINEL_OPTIONS["socket_timeout"]  # seconds a replica is given to answer the guard


@pytest.fixture
def cluster(replicated_cluster: ClusterRedis) -> ClusterRedis:
    replicated_cluster.flush()
    return replicated_cluster


@pytest.fixture
def services(cluster: ClusterRedis, tmp_path: Path, clock: FrozenClock) -> Services:
    """RT_MIN_REPLICAS_ACK and RT_REPLICA_ACK_TIMEOUT_MS at their defaults."""
    return on_cluster(cluster, tmp_path, clock)


def on_replica(replica: ClusterNode, key: str) -> int:
    """The length of stream ``key`` as the replica itself holds it (a cluster replica
    answers reads only on a connection that asked for READONLY)."""
    with replica.client() as client:
        pipe = client.pipeline(transaction=False)
        pipe.execute_command("READONLY")
        pipe.xlen(key)
        return int(pipe.execute()[1])


@contextmanager
def unresponsive(replica: ClusterNode, how: str) -> Iterator[None]:
    """The replica stops confirming what it receives: its process stopped (SIGSTOP), or
    its clients paused (CLIENT PAUSE WRITE, which also holds back its replication)."""
    if how == "SIGSTOP":
        replica.pause()
    else:
        replica.client().execute_command("CLIENT", "PAUSE", 60_000, "WRITE")
    try:
        yield
    finally:
        if how == "SIGSTOP":
            replica.resume()
        else:
            replica.client().execute_command("CLIENT", "UNPAUSE")


def test_the_slot_owners_replica_has_an_append_before_it_is_acknowledged(
    cluster: ClusterRedis, services: Services, system_actor: Actor
) -> None:
    store, log = services.store, services.keys.log
    assert store.guard is not None and store.guard() == 1, "the default asks for a replica"
    primary = cluster.owner(log)
    [replica] = cluster.replicas_of(primary)
    api = create_app(services=services).test_client()
    token = services.tokens.create("overseer", None)[0]
    waited = wait_calls(primary.client())
    assert post(api, token, "/programmes", BODY).status_code == 201
    store.append("milestone-1", [ev.CommentAdded("noted")], expected_version=0, actor=system_actor)
    assert wait_calls(primary.client()) >= waited + 2, "WAIT ran on the slot's primary"
    with primary.client() as client:
        assert client.xlen(log) == 2
    assert on_replica(replica, log) == 2


@pytest.mark.parametrize("how", ["SIGSTOP", "CLIENT PAUSE"])
def test_an_append_the_replica_does_not_confirm_answers_503_and_its_retry_returns_it_once(
    cluster: ClusterRedis, services: Services, system_actor: Actor, how: str
) -> None:
    store, log = services.store, services.keys.log
    primary = cluster.owner(log)
    [replica] = cluster.replicas_of(primary)
    api = create_app(services=services).test_client()
    token = services.tokens.create("overseer", None)[0]
    retried = {"Idempotency-Key": "create-army-reform"}
    key = Idempotency("overseer", "comment-1", "fingerprint")

    def comment() -> None:
        store.append(
            "milestone-1",
            [ev.CommentAdded("noted")],
            expected_version=0,
            actor=system_actor,
            idempotency=key,
        )

    timeout = store.replica_timeout_ms / 1000
    time.sleep(MAX_AGE)  # the guard's verdict is due, as it is in a process that has run a while
    with unresponsive(replica, how):
        started = time.monotonic()
        refused = post(api, token, "/programmes", BODY, **retried)
        waited = time.monotonic() - started
        assert refused.status_code == 503, refused.json
        assert refused.json["code"] == "store-not-replicated"
        assert int(refused.headers["Retry-After"]) >= 1
        # The guard's check, due, may first ask the replica for its settings (the primary
        # has not noticed it is gone yet), bounded by the question's own timeout.
        assert timeout <= waited < timeout + ASKED + 0.5, waited
        started = time.monotonic()
        with pytest.raises(AppendNotReplicated):
            comment()
        assert timeout <= time.monotonic() - started < timeout + 0.5
        # On the primary, not acknowledged; retries while the replica is away add nothing.
        assert post(api, token, "/programmes", BODY, **retried).status_code == 503
        with pytest.raises(AppendNotReplicated):
            comment()
        assert store.head_position() == 2
    done = post(api, token, "/programmes", BODY, **retried)
    assert done.status_code == 201, done.json
    comment()
    events = store.read_log(0)
    assert [e.type for e in events] == ["ProgrammeCreated", "CommentAdded"]
    assert events[0].stream == f"programme-{done.json['programme_id']}"
    assert on_replica(replica, log) == 2
    assert store.verify().ok
    cluster.wait_until_settled()  # the replica is back in sync for the next test
