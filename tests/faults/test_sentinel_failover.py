"""No acknowledged event is lost when the Redis primary dies or is cut off.

Real processes on loopback, started by the fixture: a primary, two replicas and three
Sentinels, the API under gunicorn and a worker (bench/failover.py starts and audits the
same deployment for the failover benchmark). Sixteen clients create programmes, each
with an Idempotency-Key, retrying until acknowledged. Mid-load the primary is SIGKILLed,
or paused for longer than the failover takes and resumed: the Sentinels promote a
replica, the clients' retries find it, and afterwards every acknowledged event is in the
log exactly once, `verify` passes, and the sealer and projector have caught up. The
paused primary comes back believing it still leads, with requests of the pause queued:
whatever it took then is dropped when it rejoins as a replica, so none of it may have
been acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bench.failover import (
    PAUSE_SECONDS,
    Deployment,
    audit,
    call,
    deployment,
    environment,
    kill_primary,
    load,
    partition_primary,
)

pytestmark = [pytest.mark.slow, pytest.mark.processes]


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[Deployment]:
    with deployment(tmp_path) as started:
        yield started


def test_a_killed_primary_loses_no_acknowledged_event(deployed: Deployment) -> None:
    old = deployed.redis.primary_server()
    outcome = load(deployed, kill_primary, "kill")
    found = audit(deployed, outcome)
    assert deployed.redis.primary_server() is not old
    assert len(outcome.acknowledged) > 50, deployed.logs
    assert found.lost == [], deployed.logs
    assert found.duplicated == []
    assert found.verified and found.caught_up, deployed.logs
    # Every write a client started was seen through to its acknowledgement.
    assert all(w.programme_id for w in outcome.writes), deployed.logs


def test_a_partitioned_primary_acknowledges_nothing_it_takes_while_isolated(
    deployed: Deployment,
) -> None:
    old = deployed.redis.primary_server()
    outcome = load(deployed, partition_primary, "partition")
    found = audit(deployed, outcome)
    new = deployed.redis.primary_server()
    assert new is not old
    # The old primary is back, as a replica of the new one: what it took alone is gone.
    with old.client() as client:
        replication = client.info("replication")
    assert replication["role"] == "slave" and int(replication["master_port"]) == new.port
    # Requests sent to it hang until it resumes, then move to the new primary.
    assert outcome.unavailable_seconds < PAUSE_SECONDS + 5
    assert found.lost == [], deployed.logs
    assert found.duplicated == []
    assert found.verified and found.caught_up, deployed.logs
    assert all(w.programme_id for w in outcome.writes), deployed.logs


def test_the_deployment_finds_the_primary_through_sentinel(deployed: Deployment) -> None:
    """The fixture's own processes are told only where the Sentinels are."""
    env = environment(deployed.redis, deployed.root)
    assert "RT_REDIS_URL" not in env and "REDIS_URL" not in env
    assert env["RT_REDIS_SENTINELS"] == deployed.redis.sentinel_addresses
    with deployed.redis.primary.client() as client:
        assert client.info("replication")["connected_slaves"] == 2
    status = call(deployed, "GET", "/readyz")
    assert status[0] == 200, status
    with pytest.raises(redis.ResponseError):  # a replica refuses writes
        deployed.redis.replicas[0].client().set("x", "1")
