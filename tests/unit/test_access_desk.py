"""The AccessDesk application service on fakeredis: administrators alone list, issue and
revoke tokens; an issued token authenticates until it is revoked; only hashes are kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from service.access.policy import Forbidden, LastAdminToken, TokenRecord
from service.bootstrap import Services
from service.ledger.domain.errors import NotFound
from tests.conftest import AGENCY_A

DESK_CALLS: dict[str, Callable[[Services, TokenRecord], Any]] = {
    "list": lambda s, t: s.access.list_tokens(t),
    "create": lambda s, t: s.access.create_token(t, "admin", None, "escalation"),
    "revoke": lambda s, t: s.access.revoke_token(t, t.id),
}


@pytest.fixture
def admin(services: Services) -> TokenRecord:
    return services.tokens.create("admin", None, "first admin")[1]


def test_an_issued_token_authenticates_until_it_is_revoked(
    services: Services, admin: TokenRecord
) -> None:
    plaintext, record = services.access.create_token(admin, "reporter", AGENCY_A, "PGO desk")
    assert (record.role, record.agency, record.label) == ("reporter", AGENCY_A, "PGO desk")
    assert services.tokens.authenticate(plaintext) == record
    assert set(services.access.list_tokens(admin)) == {admin, record}
    # Only the hash is stored: the plaintext appears nowhere in Redis.
    stored = [
        v for key in services.redis.scan_iter(_type="hash") for v in services.redis.hvals(key)
    ]
    assert stored and not any(plaintext in value for value in stored)

    services.access.revoke_token(admin, record.id)
    assert services.tokens.authenticate(plaintext) is None
    assert services.access.list_tokens(admin) == [admin]
    with pytest.raises(NotFound):
        services.access.revoke_token(admin, record.id)


@pytest.mark.parametrize("role", ["viewer", "reporter", "overseer"])
@pytest.mark.parametrize("call", sorted(DESK_CALLS))
def test_everyone_but_administrators_is_refused(
    call: str, role: str, services: Services, admin: TokenRecord
) -> None:
    caller = services.tokens.create(role, AGENCY_A if role == "reporter" else None)[1]
    with pytest.raises(Forbidden):
        DESK_CALLS[call](services, caller)
    # Nothing was issued or revoked.
    assert set(services.access.list_tokens(admin)) == {admin, caller}


def test_the_last_admin_token_is_never_revoked(services: Services, admin: TokenRecord) -> None:
    plaintext, second = services.access.create_token(admin, "admin", None, "deputy")
    viewer = services.access.create_token(admin, "viewer", None, "reader")[1]
    services.access.revoke_token(admin, viewer.id)
    services.access.revoke_token(admin, admin.id)  # another admin token is left
    with pytest.raises(LastAdminToken):
        services.access.revoke_token(second, second.id)
    assert services.access.list_tokens(second) == [second]
    assert services.tokens.authenticate(plaintext) == second


def test_an_operator_may_revoke_the_last_admin_token_on_purpose(
    services: Services, admin: TokenRecord
) -> None:
    with pytest.raises(LastAdminToken):
        services.tokens.revoke(admin.id)
    assert services.tokens.revoke(admin.id, keep_an_admin=False)
    assert services.tokens.list() == []
