"""The service on a real three-primary Redis Cluster (RT_REDIS_CLUSTER), through
redis-py's cluster client: API round trips, the projector, verify, the durability check
of every primary, and several deployments (RT_KEY_PREFIX) spread over the slots, each in
one slot of its own. The store's contract tests run on the same cluster
(tests/contract, backend "cluster")."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from flask.testing import FlaskClient

from service.api.app import create_app
from service.bootstrap import Services, bootstrap
from service.dashboards.projector import catch_up
from service.ledger.durability import UnsafeRedis, ensure_durable
from service.runtime.clock import FrozenClock
from service.runtime.config import Config
from service.runtime.redis_server import ClusterRedis
from tests.conftest import AGENCY_A, SECRETS_KEY, bearer
from tests.integration.api_helpers import log_length, post, seed

PREFIXES = [f"ministry-{n}" for n in range(12)]


def on_cluster(
    cluster: ClusterRedis, tmp_path: Path, clock: FrozenClock, prefix: str = "rt"
) -> Services:
    config = Config(
        redis_url=cluster.url,
        redis_cluster=True,
        key_prefix=prefix,
        log_level="WARNING",
        data_dir=str(tmp_path / "data"),
        secrets_key=SECRETS_KEY,
    )
    return bootstrap(config, clock=clock)


@pytest.fixture
def cluster(redis_cluster: ClusterRedis) -> ClusterRedis:
    redis_cluster.flush()
    return redis_cluster


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
    client: FlaskClient, tokens: dict[str, str], services: Services
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
    # The projector's transactions run on the cluster too (RQ does not: see
    # docs/operations.md), so it is called here as the worker's job would.
    assert catch_up(services) == 4
    board = client.get(f"/programmes/{s.programme_id}/dashboard", headers=bearer(tokens["viewer"]))
    assert board.status_code == 200, board.json


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
