"""The last admin token is never revoked through the API, not even by two administrators
revoking each other's token at the same moment; an operator at the command line may, on
purpose, and recovers by creating a new one."""

from __future__ import annotations

import json
import threading

import pytest
from flask.testing import FlaskClient

from service.access.policy import LastAdminToken, TokenRecord
from service.bootstrap import Services
from service.cli import main
from tests.conftest import bearer


def test_an_admin_cannot_revoke_the_last_admin_token(
    client: FlaskClient, services: Services
) -> None:
    plaintext, admin = services.tokens.create("admin", None, "only admin")
    refused = client.delete(f"/tokens/{admin.id}", headers=bearer(plaintext))
    assert refused.status_code == 409, refused.json
    assert refused.content_type == "application/problem+json"
    assert refused.json["code"] == "last-admin-token"
    assert client.get("/tokens", headers=bearer(plaintext)).status_code == 200

    deputy_plaintext, deputy = services.tokens.create("admin", None, "deputy")
    assert client.delete(f"/tokens/{admin.id}", headers=bearer(plaintext)).status_code == 204
    last = client.delete(f"/tokens/{deputy.id}", headers=bearer(deputy_plaintext))
    assert last.status_code == 409
    assert [t["id"] for t in client.get("/tokens", headers=bearer(deputy_plaintext)).json] == [
        deputy.id
    ]


def revoke_each_other(services: Services, first: TokenRecord, second: TokenRecord) -> list[str]:
    """Each admin revokes the other's token, both released at the same moment."""
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def revoke(actor: TokenRecord, target: TokenRecord) -> None:
        start.wait(timeout=30)
        try:
            services.access.revoke_token(actor, target.id)
            outcomes.append("revoked")
        except LastAdminToken:
            outcomes.append("refused")

    threads = [
        threading.Thread(target=revoke, args=(first, second)),
        threading.Thread(target=revoke, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_two_admins_revoking_each_other_at_once_leave_one(services: Services) -> None:
    for _round in range(20):
        first = services.tokens.create("admin", None, "first")[1]
        second = services.tokens.create("admin", None, "second")[1]
        assert revoke_each_other(services, first, second) == ["refused", "revoked"]
        left = [t for t in services.tokens.list() if t.role == "admin"]
        assert len(left) == 1
        services.tokens.revoke(left[0].id, keep_an_admin=False)  # the next round starts afresh


def test_the_cli_refuses_unless_forced_and_a_new_admin_recovers(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    services: Services,
    redis_url: str,
) -> None:
    for name in ("RT_REDIS_URL", "REDIS_URL", "RT_ALLOW_UNSAFE_REDIS", "RT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    admin = services.tokens.create("admin", None, "only admin")[1]
    url = ["--redis-url", redis_url]
    assert main(["token", "revoke", admin.id, *url]) == 1
    assert "last admin token" in capsys.readouterr().err
    assert services.tokens.list() == [admin]

    assert main(["token", "revoke", admin.id, "--force", *url]) == 0
    assert services.tokens.list() == []
    capsys.readouterr()
    assert main(["token", "create", "--role", "admin", "--json", *url]) == 0
    recovered = json.loads(capsys.readouterr().out)
    assert services.tokens.authenticate(recovered["token"]) is not None
