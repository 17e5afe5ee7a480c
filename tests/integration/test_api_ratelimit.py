"""Each token has a request budget; over it, 429 problem+json with Retry-After."""

from __future__ import annotations

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
