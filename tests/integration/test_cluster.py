"""The service on a real three-primary Redis Cluster (RT_REDIS_CLUSTER), through
redis-py's cluster client: API round trips, the projector, verify, the durability check
of every primary, and several deployments (RT_KEY_PREFIX) spread over the slots, each in
one slot of its own. The store's contract tests run on the same cluster
(tests/contract, backend "cluster").

RQ cannot keep its queues on a cluster, so the workers run against a plain redis-server
beside it (RT_QUEUE_REDIS_URL): the API queues there, `reform-tracker worker` seals,
projects and delivers alerts from there, and refuses to start without it."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient
from rq import Queue
from rq.cron import CronScheduler

from service.api.app import create_app
from service.bootstrap import Services, bootstrap
from service.cli import main
from service.dashboards.projector import catch_up
from service.ledger.durability import UnsafeRedis, ensure_durable
from service.runtime.clock import FrozenClock
from service.runtime.config import Config
from service.runtime.redis_server import ClusterRedis, RedisServer
from tests.conftest import AGENCY_A, SECRETS_KEY, bearer
from tests.integration.api_helpers import log_length, post, seed
from tests.integration.webhook_receiver import Receiver
from workers import runtime
from workers.registry import PROJECTION_QUEUE, QUEUE

PREFIXES = [f"ministry-{n}" for n in range(12)]
SCAN_JOB = "workers.alerts.scan_for_overdue_milestones"


def on_cluster(
    cluster: ClusterRedis, tmp_path: Path, clock: FrozenClock, prefix: str = "rt", **settings: Any
) -> Services:
    config = Config(
        redis_url=cluster.url,
        redis_cluster=True,
        key_prefix=prefix,
        log_level="WARNING",
        data_dir=str(tmp_path / "data"),
        secrets_key=SECRETS_KEY,
        **settings,
    )
    return bootstrap(config, clock=clock)


def rq_keys(cluster: ClusterRedis) -> list[str]:
    return [key for node in cluster.nodes for key in node.client().scan_iter(match="rq:*")]


@pytest.fixture
def cluster(redis_cluster: ClusterRedis) -> ClusterRedis:
    redis_cluster.flush()
    return redis_cluster


@pytest.fixture(scope="module")
def queue_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """The plain Redis for RQ's queues: AOF on and fsynced, like every server it starts."""
    server = RedisServer(tmp_path_factory.mktemp("queues")).start()
    yield server
    server.stop()


@pytest.fixture
def queue_url(queue_server: RedisServer) -> str:
    with queue_server.client() as client:
        client.flushall()
    return queue_server.url


@pytest.fixture
def cluster_environment(cluster: ClusterRedis, monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings of a worker started against the cluster."""
    for name in ("RT_ALLOW_UNSAFE_REDIS", "RT_QUEUE_REDIS_URL", "RT_DATA_DIR", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RT_REDIS_URL", cluster.url)
    monkeypatch.setenv("RT_REDIS_CLUSTER", "1")


@pytest.fixture
def services(cluster: ClusterRedis, tmp_path: Path, clock: FrozenClock) -> Services:
    return on_cluster(cluster, tmp_path, clock)


@pytest.fixture
def tokens(services: Services) -> dict[str, str]:
    return {
        "overseer": services.tokens.create("overseer", None, "overseer")[0],
        "viewer": services.tokens.create("viewer", None, "viewer")[0],
        "reporter_a": services.tokens.create("reporter", AGENCY_A, "reporter A")[0],
    }


@pytest.fixture
def client(services: Services) -> FlaskClient:
    return create_app(services=services).test_client()


def test_commands_reads_and_verify_round_trip_on_a_cluster(
    client: FlaskClient, tokens: dict[str, str], services: Services, cluster: ClusterRedis
) -> None:
    s = seed(client, tokens)
    path = f"/milestones/{s.milestone_id}/start"
    retried = {"Idempotency-Key": "start-1"}
    first = post(client, tokens["reporter_a"], path, {"note": "go"}, **retried)
    again = post(client, tokens["reporter_a"], path, {"note": "go"}, **retried)
    assert first.status_code == again.status_code == 200, first.json
    assert first.json == again.json
    assert log_length(client, tokens["viewer"]) == 4
    stale = post(client, tokens["reporter_a"], path, {"note": "again"}, **{"If-Match": '"1"'})
    assert stale.status_code in {409, 412}
    verified = client.get("/verify", headers=bearer(tokens["viewer"]))
    assert verified.status_code == 200 and verified.json["ok"], verified.json
    # The projector's transactions run on the cluster too, called here as the worker's
    # job would be: without RT_QUEUE_REDIS_URL no wake-up is queued, so no RQ key lands
    # in the cluster, where no worker could take it.
    assert catch_up(services) == 4
    board = client.get(f"/programmes/{s.programme_id}/dashboard", headers=bearer(tokens["viewer"]))
    assert board.status_code == 200, board.json
    assert rq_keys(cluster) == []


def test_every_primary_is_held_to_the_durability_rules(
    cluster: ClusterRedis, services: Services
) -> None:
    assert ensure_durable(services.redis, allow_unsafe=False) == []
    lossy = cluster.nodes[2]
    with lossy.client() as node:
        node.config_set("appendfsync", "everysec")
        try:
            with pytest.raises(UnsafeRedis, match="appendfsync is 'everysec'"):
                ensure_durable(services.redis, allow_unsafe=False)
        finally:
            node.config_set("appendfsync", "always")


def test_deployments_spread_over_the_slots_each_in_one(
    cluster: ClusterRedis, tmp_path: Path, clock: FrozenClock
) -> None:
    owners: dict[str, set[int]] = {}
    for prefix in PREFIXES:
        deployment = on_cluster(cluster, tmp_path, clock, prefix)
        api = create_app(services=deployment).test_client()
        token = deployment.tokens.create("overseer", None)[0]
        body = {"title": f"Reform at {prefix}", "lead_agency": "Oversight Office"}
        assert post(api, token, "/programmes", body).status_code == 201
        catch_up(deployment)
        tag = "{" + prefix + "}"
        held = {
            n: [key for key in node.client().scan_iter(match="*") if tag in key]
            for n, node in enumerate(cluster.nodes)
        }
        slots = {
            int(cluster.nodes[n].client().cluster("keyslot", key))
            for n, found in held.items()
            for key in found
        }
        assert len(slots) == 1, (prefix, slots)  # the log, read models, tokens: one slot
        owners[prefix] = {n for n, found in held.items() if found}
    # Every deployment lives on exactly one primary, and every primary holds some.
    assert all(len(nodes) == 1 for nodes in owners.values()), owners
    assert set().union(*owners.values()) == {0, 1, 2}, owners


def test_a_cluster_setting_without_a_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises((ValueError, redis.RedisError)):
        bootstrap(Config(redis_cluster=True, redis_url=""))


def test_workers_seal_project_and_alert_with_the_queues_on_a_plain_redis(
    cluster: ClusterRedis,
    queue_url: str,
    tmp_path: Path,
    clock: FrozenClock,
    cluster_environment: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = on_cluster(
        cluster, tmp_path, clock, queue_redis_url=queue_url, webhook_allow_private=True
    )
    api = create_app(services=services).test_client()
    admin = services.tokens.create("admin", None, "admin")[0]
    tokens = {
        "overseer": services.tokens.create("overseer", None, "overseer")[0],
        "reporter_a": services.tokens.create("reporter", AGENCY_A, "reporter A")[0],
    }
    queues = redis.Redis.from_url(queue_url)
    with Receiver() as receiver:
        made = post(api, admin, "/subscriptions", {"channel": "webhook", "url": receiver.url})
        assert made.status_code == 201, made.json
        receiver.secret = made.json["secret"]
        s = seed(api, tokens, due="2026-11-20")  # five days before the frozen today
        # The appends woke the projector on the queue Redis; the scheduler's overdue scan
        # is queued as it would queue it.
        assert Queue(PROJECTION_QUEUE, connection=queues).count == 1
        services.jobs.enqueue(SCAN_JOB)
        assert Queue(QUEUE, connection=queues).count == 1
        assert rq_keys(cluster) == []
        appended = services.store.head_position()

        monkeypatch.setenv("RT_QUEUE_REDIS_URL", queue_url)
        runtime.install(services)  # the work horses fork from this process (frozen clock)
        try:
            assert main(["worker", "--burst"]) == 0
        finally:
            runtime.install(None)
        [got] = receiver.wait_for(1)

    # What the API appended is sealed and projected (the alert the scan appended after
    # the projector ran waits for the next wake-up).
    assert services.store.sealer.sealed_position() >= appended == 3
    board = api.get(f"/programmes/{s.programme_id}/dashboard", headers=bearer(admin))
    assert board.status_code == 200, board.json
    assert s.milestone_id in board.get_data(as_text=True)
    # The overdue scan raised the alert, the notifier fanned it out, a delivery job sent it.
    raised = next(e for e in services.store.iter_log() if e.type == "AlertRaised")
    assert got.verified and got.webhook_id == raised.id
    assert got.payload["data"]["milestone_id"] == s.milestone_id
    assert Queue(PROJECTION_QUEUE, connection=queues).count == 0
    assert Queue(QUEUE, connection=queues).count == 0
    assert rq_keys(cluster) == [], "RQ kept to the queue Redis"


def test_the_scheduler_queues_the_periodic_jobs_on_the_queue_redis(
    cluster: ClusterRedis, queue_url: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RT_")}
    env |= {"RT_REDIS_URL": cluster.url, "RT_REDIS_CLUSTER": "1", "RT_QUEUE_REDIS_URL": queue_url}
    queues = redis.Redis.from_url(queue_url)
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (CronScheduler.all(queues) and Queue(PROJECTION_QUEUE, connection=queues).count):
            assert scheduler.poll() is None, f"the scheduler exited with {scheduler.returncode}"
            assert time.monotonic() < deadline, "the scheduler queued nothing"
            time.sleep(0.05)
        assert CronScheduler.all(queues)[0].pid == scheduler.pid
        assert SCAN_JOB in {job.func_name for job in Queue(QUEUE, connection=queues).jobs}
        assert rq_keys(cluster) == []
    finally:
        scheduler.send_signal(signal.SIGTERM)
        assert scheduler.wait(timeout=60) == 0


def test_the_api_says_at_start_that_a_cluster_without_a_queue_redis_queues_nothing(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="reform_tracker"):
        create_app(services=services)
    assert "RT_QUEUE_REDIS_URL" in caplog.text and "nothing is sealed" in caplog.text


@pytest.mark.usefixtures("cluster_environment")
@pytest.mark.parametrize("command", [["worker"], ["scheduler"], ["up", "--port", "0"]])
def test_workers_refuse_a_cluster_without_a_queue_redis(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    assert main([*command, "--wait", "1"]) == 2
    out, err = capsys.readouterr()
    assert "RT_QUEUE_REDIS_URL" in err and "RT_REDIS_CLUSTER" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in out + err


@pytest.mark.usefixtures("cluster_environment")
def test_workers_refuse_a_queue_redis_that_could_lose_jobs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lossy = RedisServer(tmp_path / "lossy", None, "--appendfsync", "everysec").start()
    try:
        monkeypatch.setenv("RT_QUEUE_REDIS_URL", lossy.url)
        assert main(["worker", "--wait", "1"]) == 2
        _, err = capsys.readouterr()
        assert "RT_QUEUE_REDIS_URL" in err and "appendfsync is 'everysec'" in err
        with lossy.client() as client:
            assert client.dbsize() == 0, "no worker registered"
    finally:
        lossy.stop()
