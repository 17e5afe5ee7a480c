"""With replicas, an append is acknowledged only once a replica has it (Redis WAIT).

A primary that took an append its replicas did not confirm in time answers 503: the
append is on the primary, not acknowledged, and a failover could still drop it. The
client's retry with the same Idempotency-Key returns that very append once the replicas
have it, and never appends a second one. The durability guard holds every replica to the
primary's standard, and a primary cut off from its replicas refuses writes outright.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask.testing import FlaskClient

from service.api.app import create_app
from service.bootstrap import Services, bootstrap
from service.ledger.batch import Append, append_all
from service.ledger.domain.chain import Actor
from service.ledger.durability import MAX_AGE, UnsafeRedis
from service.ledger.eventstore import AppendNotReplicated, AppendResult, Idempotency
from service.runtime.clock import FrozenClock
from service.runtime.config import Config
from service.runtime.redis_server import ReplicatedRedis, wait_until
from service.tracking.domain import events as ev
from tests.conftest import bearer

BODY = {"title": "Army reform 2026", "lead_agency": "Oversight Office"}


def deployment(tmp_path: Path, **options: int) -> Iterator[ReplicatedRedis]:
    started = ReplicatedRedis(tmp_path / "redis", replicas=1, sentinels=0, **options).start()
    yield started
    started.stop()


@pytest.fixture
def replicated(tmp_path: Path) -> Iterator[ReplicatedRedis]:
    """A replica counts as good for 10 s after it last answered: a paused replica leaves
    the primary taking writes that WAIT cannot confirm."""
    yield from deployment(tmp_path, max_lag=10)


def serve(url: str, clock: FrozenClock, **settings: object) -> tuple[Services, FlaskClient, dict]:
    config = Config(redis_url=url, log_level="WARNING", **settings)  # type: ignore[arg-type]
    services = bootstrap(config, clock=clock)
    headers = bearer(services.tokens.create("overseer", None)[0])
    return services, create_app(services=services).test_client(), headers


def wait_calls(server: redis.Redis) -> int:
    return int(server.info("commandstats").get("cmdstat_wait", {}).get("calls", 0))


def test_an_append_is_acknowledged_after_a_replica_confirmed_it(
    replicated: ReplicatedRedis, clock: FrozenClock
) -> None:
    services, client, headers = serve(replicated.primary.url, clock)
    primary, replica = replicated.primary.client(), replicated.replicas[0].client()
    created = client.post("/programmes", json=BODY, headers=headers)
    assert created.status_code == 201, created.json
    # One WAIT per append (two the first time: the script was not loaded yet).
    calls = wait_calls(primary)
    assert client.post("/programmes", json=BODY, headers=headers).status_code == 201
    assert wait_calls(primary) == calls + 1
    # WAIT answered only once the replica had it: it is there now, whatever happens next.
    log = services.keys.log
    assert replica.xlen(log) == primary.xlen(log) == 2


def test_a_report_of_many_streams_waits_once_for_a_replica_to_have_it_all(
    replicated: ReplicatedRedis, clock: FrozenClock, system_actor: Actor
) -> None:
    services, _, _ = serve(replicated.primary.url, clock)
    primary, replica = replicated.primary.client(), replicated.replicas[0].client()
    report: list[Append] = [(f"milestone-{n}", [ev.CommentAdded("r")] * 2, 0) for n in range(3)]
    append_all(services.store, report[:1], actor=system_actor)  # loads the script
    calls = wait_calls(primary)
    outcomes = append_all(services.store, report[1:], actor=system_actor)
    assert [o.version for o in outcomes] == [2, 2]
    assert wait_calls(primary) == calls + 1, "one WAIT for the whole report"
    log = services.keys.log
    assert replica.xlen(log) == primary.xlen(log) == 6


def test_a_lone_server_acknowledges_without_waiting(redis_url: str, clock: FrozenClock) -> None:
    services, client, headers = serve(redis_url, clock)
    assert client.post("/programmes", json=BODY, headers=headers).status_code == 201
    assert wait_calls(redis.Redis.from_url(redis_url)) == 0
    assert services.store.guard is not None and services.store.guard() == 0


def test_an_unconfirmed_append_answers_503_and_its_retry_returns_it_once(
    replicated: ReplicatedRedis, clock: FrozenClock
) -> None:
    services, client, headers = serve(replicated.primary.url, clock)
    retried = {**headers, "Idempotency-Key": "create-army-reform"}
    replica = replicated.replicas[0]
    replica.pause()
    try:
        refused = client.post("/programmes", json=BODY, headers=retried)
        assert refused.status_code == 503, refused.json
        assert refused.headers["Retry-After"]
        assert refused.json["code"] == "store-not-replicated"
        assert "Idempotency-Key" in refused.json["detail"]
        # The primary has it, unacknowledged; a retry while the replica is still away is
        # refused the same way and appends nothing more.
        assert services.store.head_position() == 1
        again = client.post("/programmes", json=BODY, headers=retried)
        assert again.status_code == 503 and again.json["code"] == "store-not-replicated"
        assert services.store.head_position() == 1
    finally:
        replica.resume()
    done = client.post("/programmes", json=BODY, headers=retried)
    assert done.status_code == 201, done.json
    first = services.store.read_log(0)
    assert len(first) == 1 and first[0].stream == f"programme-{done.json['programme_id']}"
    assert services.store.head_position() == 1
    assert replica.client().xlen(services.keys.log) == 1
    assert services.store.verify().ok


def test_a_retry_found_by_its_stale_version_also_waits_for_the_replicas(
    replicated: ReplicatedRedis, clock: FrozenClock, system_actor: Actor
) -> None:
    """A retry whose expected version its own first attempt made stale is answered from
    the Idempotency-Key without running the append script: it must still wait."""
    services, _, _ = serve(replicated.primary.url, clock)
    store, stream = services.store, "milestone-1"
    store.append(stream, [ev.CommentAdded("first")], expected_version=0, actor=system_actor)
    key = Idempotency("overseer", "comment-1", "fingerprint")

    def comment() -> AppendResult:
        return store.append(
            stream,
            [ev.CommentAdded("noted")],
            expected_version=1,
            actor=system_actor,
            idempotency=key,
        )

    replica = replicated.replicas[0]
    replica.pause()
    try:
        with pytest.raises(AppendNotReplicated):
            comment()
        calls = wait_calls(replicated.primary.client())
        with pytest.raises(AppendNotReplicated):
            comment()
        assert wait_calls(replicated.primary.client()) == calls + 1
    finally:
        replica.resume()
    replayed = comment()
    assert replayed.replay is not None and replayed.replay.first_version == 2
    assert store.head_position() == 2
    assert replica.client().xlen(store.keys.log) == 2


def test_the_guard_holds_every_replica_to_the_primarys_standard(
    replicated: ReplicatedRedis, clock: FrozenClock, system_actor: Actor
) -> None:
    services, client, headers = serve(replicated.primary.url, clock)
    replica = replicated.replicas[0]
    replica.client().config_set("appendfsync", "everysec")
    refused = client.post("/programmes", json=BODY, headers=headers)
    assert refused.status_code == 503 and refused.json["code"] == "store-not-durable"
    assert f"replica 127.0.0.1:{replica.port}: appendfsync" in refused.json["detail"]
    with pytest.raises(UnsafeRedis, match="replica"):
        services.store.append(
            "milestone-x", [ev.CommentAdded("x")], expected_version=None, actor=system_actor
        )
    assert services.store.head_position() == 0


def test_a_primary_with_replicas_must_refuse_writes_when_cut_off(
    replicated: ReplicatedRedis, clock: FrozenClock
) -> None:
    _, client, headers = serve(replicated.primary.url, clock)
    replicated.primary.client().config_set("min-replicas-to-write", "0")
    time.sleep(MAX_AGE)  # the verdict the process holds is stale now
    refused = client.post("/programmes", json=BODY, headers=headers)
    assert refused.status_code == 503 and refused.json["code"] == "store-not-durable"
    assert "min-replicas-to-write is 0" in refused.json["detail"]
    with pytest.raises(UnsafeRedis, match="min-replicas-to-write"):  # and at start-up
        serve(replicated.primary.url, clock)


def test_a_primary_cut_off_from_its_replicas_writes_nothing(
    tmp_path: Path, clock: FrozenClock
) -> None:
    for replicated in deployment(tmp_path, max_lag=1):
        services, client, headers = serve(replicated.primary.url, clock)
        primary = replicated.primary.client()
        replicated.replicas[0].pause()
        wait_until(
            lambda: primary.info("replication").get("min_slaves_good_slaves") == 0,  # noqa: B023
            "the primary to count its replica as lost",
        )
        refused = client.post("/programmes", json=BODY, headers=headers)
        assert refused.status_code == 503, refused.json
        assert "nothing was written" in refused.json["detail"]
        assert services.store.head_position() == 0
        replicated.replicas[0].resume()


def test_api_and_cli_find_the_primary_through_sentinel(tmp_path: Path, clock: FrozenClock) -> None:
    replicated = ReplicatedRedis(tmp_path / "redis", replicas=1, sentinels=1).start()
    try:
        found = {
            "redis_sentinels": replicated.sentinel_addresses,
            "redis_service": "reform-tracker",
        }
        services, client, headers = serve("", clock, **found)
        assert client.post("/programmes", json=BODY, headers=headers).status_code == 201
        assert client.get("/readyz").status_code == 200
        verified = verify_with(
            RT_REDIS_SENTINELS=replicated.sentinel_addresses, RT_REDIS_SERVICE="reform-tracker"
        )
        assert verified.returncode == 0, verified.stderr
        assert replicated.primary.client().xlen(services.keys.log) == 1
    finally:
        replicated.stop()


def verify_with(**settings: str) -> subprocess.CompletedProcess[str]:
    """`reform-tracker verify` with only these RT_REDIS_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RT_REDIS")}
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "verify"],
        env={**env, **settings},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_sentinel_setting_without_a_service_is_refused_plainly(tmp_path: Path) -> None:
    started = time.monotonic()
    answer = verify_with(RT_REDIS_SENTINELS="127.0.0.1:1")
    assert answer.returncode == 2
    assert "RT_REDIS_SERVICE must name the primary" in answer.stderr
    assert "Traceback" not in answer.stderr
    assert time.monotonic() - started < 30
