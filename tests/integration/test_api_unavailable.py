"""When Redis is unreachable the API says so (503 + Retry-After) instead of failing opaquely."""

from __future__ import annotations

import pytest

from service.api.app import create_app
from service.bootstrap import bootstrap
from service.ledger.durability import UnsafeRedis
from service.runtime.config import Config
from service.runtime.redis_server import RedisServer, free_port


def test_unreachable_store_gives_503_problem(clock) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    services = bootstrap(Config(redis_url=url, log_level="WARNING"), clock=clock)
    client = create_app(services=services).test_client()
    response = client.get("/programmes", headers={"Authorization": "Bearer rt_x"})
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.headers["Retry-After"]
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200


def test_recovers_when_redis_comes_back(tmp_path, clock) -> None:
    server = RedisServer(tmp_path / "redis")
    services = bootstrap(Config(redis_url=server.url, log_level="WARNING"), clock=clock)
    client = create_app(services=services).test_client()
    assert client.get("/readyz").status_code == 503
    server.start()
    try:
        token = services.tokens.create("viewer", None)[0]
        assert client.get("/readyz").status_code == 200
        assert client.get("/programmes", headers={"Authorization": f"Bearer {token}"}).json == []
    finally:
        server.stop()


def test_refuses_to_start_on_a_lossy_redis(tmp_path, clock) -> None:
    server = RedisServer(tmp_path / "redis", None, "--appendfsync", "everysec").start()
    try:
        config = Config(redis_url=server.url, log_level="WARNING")
        with pytest.raises(UnsafeRedis, match="appendfsync"):
            create_app(config)
        app = create_app(config.with_(allow_unsafe_redis=True))
        assert app.test_client().get("/readyz").json["problems"]
    finally:
        server.stop()


def test_redis_restarting_under_a_running_api(tmp_path, clock) -> None:
    server = RedisServer(tmp_path / "redis").start()
    services = bootstrap(Config(redis_url=server.url, log_level="WARNING"), clock=clock)
    client = create_app(services=services).test_client()
    token = services.tokens.create("overseer", None)[0]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"title": "Army reform 2026", "lead_agency": "PGO"}
    try:
        assert client.post("/programmes", json=body, headers=headers).status_code == 201
        server.kill()
        refused = client.post("/programmes", json=body, headers=headers)
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        assert client.get("/readyz").status_code == 503
        server = RedisServer(server.data_dir, server.port).start()
        assert client.get("/readyz").status_code == 200
        assert client.post("/programmes", json=body, headers=headers).status_code == 201
        # The refused request left nothing behind; the acknowledged ones survived.
        assert services.store.head_position() == 2 and services.store.verify().ok
    finally:
        server.stop()
