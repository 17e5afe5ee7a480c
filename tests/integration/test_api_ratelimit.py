"""Each token has one request budget across every route; requests without a valid
token are counted per client address. Over it, 429 problem+json with Retry-After."""

from __future__ import annotations

import uuid

from service.api.app import create_app
from tests.conftest import bearer


def test_token_over_its_budget_gets_429(services, tokens) -> None:
    services.config = services.config.with_(rate_limit="5/minute")
    client = create_app(services=services).test_client()
    viewer = bearer(tokens["viewer"])
    statuses = [client.get("/programmes", headers=viewer).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    refused = client.get("/programmes", headers=viewer)
    assert refused.content_type == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json["request_id"] == refused.headers["X-Request-ID"] != ""
    # Budgets are per token: another token is unaffected, and health checks are never limited.
    assert client.get("/programmes", headers=bearer(tokens["overseer"])).status_code == 200
    assert all(client.get("/healthz").status_code == 200 for _ in range(8))


def test_rate_limit_keys_never_hold_a_plaintext_token(services, tokens, redis_client) -> None:
    services.config = services.config.with_(rate_limit="100/minute")
    client = create_app(services=services).test_client()
    client.get("/programmes", headers=bearer(tokens["viewer"]))
    for key in redis_client.scan_iter("*"):
        assert tokens["viewer"] not in key


def test_one_token_has_one_budget_across_every_route(services, tokens) -> None:
    services.config = services.config.with_(rate_limit="10/minute")
    client = create_app(services=services).test_client()
    viewer = bearer(tokens["viewer"])
    routes = ["/programmes", "/events", "/dashboard", "/alerts", "/verify"]
    statuses = [client.get(route, headers=viewer).status_code for _ in range(6) for route in routes]
    assert statuses.count(429) == len(statuses) - 10
    assert set(statuses[:10]) == {200} and set(statuses[10:]) == {429}


def test_made_up_tokens_from_one_address_are_limited(services, tokens) -> None:
    services.config = services.config.with_(rate_limit="5/minute")
    client = create_app(services=services).test_client()
    here = {"REMOTE_ADDR": "192.0.2.7"}
    statuses = [
        client.get(
            "/programmes", headers=bearer(f"rt_{uuid.uuid4().hex}"), environ_base=here
        ).status_code
        for _ in range(8)
    ]
    assert statuses == [401] * 5 + [429] * 3
    refused = client.get("/events", headers=bearer("rt_guess"), environ_base=here)
    assert refused.status_code == 429
    assert refused.content_type == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    # Another address is not held back, and neither is a valid token from this one: it
    # has a budget of its own.
    elsewhere = {"REMOTE_ADDR": "192.0.2.8"}
    assert (
        client.get("/programmes", headers=bearer("rt_x"), environ_base=elsewhere).status_code == 401
    )
    viewer = bearer(tokens["viewer"])
    assert client.get("/programmes", headers=viewer, environ_base=here).status_code == 200


def test_requests_without_a_token_share_their_address_budget(services) -> None:
    services.config = services.config.with_(rate_limit="5/minute")
    client = create_app(services=services).test_client()
    here = {"REMOTE_ADDR": "192.0.2.9"}
    routes = ["/programmes", "/events", "/alerts"]
    statuses = [client.get(r, environ_base=here).status_code for _ in range(3) for r in routes]
    assert statuses == [401] * 5 + [429] * 4
