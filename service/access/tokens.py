"""Bearer tokens: only a SHA-256 of each token is stored, never the token itself.

There is always an admin token unless an operator insists: revoking the last one is
refused (revoke.lua counts and deletes atomically), because without one nobody can manage
access through the API any more.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import asdict
from importlib import resources

import redis

from service.access.policy import ROLES, LastAdminToken, TokenRecord
from service.ledger.keys import Keys
from service.ledger.reads import Read
from service.runtime.clock import Clock, isoformat
from service.runtime.connection import owner, rerouted

TOKEN_PREFIX = "rt_"
REVOKE_SCRIPT = resources.files("service.access").joinpath("revoke.lua").read_text()


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenRegistry:
    def __init__(self, client: redis.Redis, keys: Keys, clock: Clock) -> None:
        self.redis = client
        self.keys = keys
        self.clock = clock
        self._revoke = client.register_script(REVOKE_SCRIPT)

    @property
    def _by_id(self) -> str:
        return self.keys.admin("token-ids")

    def create(self, role: str, agency: str | None, label: str = "") -> tuple[str, TokenRecord]:
        """Return the plaintext token (shown once) and its stored record."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if role == "reporter" and not agency:
            raise ValueError("a reporter token must be scoped to an agency")
        if agency and "/" in agency:
            # As the API refuses it: agencies are addressed by name in URL paths.
            raise ValueError("an agency name must not contain '/'")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = TokenRecord(
            id=str(uuid.uuid4()),
            role=role,
            agency=agency or None,
            label=label,
            created_at=isoformat(self.clock.now()),
        )
        hashed = digest(token)
        with rerouted(self.redis):
            pipe = owner(self.redis, self.keys.tokens).pipeline(transaction=True)
            pipe.hset(self.keys.tokens, hashed, json.dumps(asdict(record)))
            pipe.hset(self._by_id, record.id, hashed)
            pipe.execute()
        return token, record

    def authenticate(self, token: str) -> TokenRecord | None:
        return self.lookup(token).run(self.redis)

    def lookup(self, token: str) -> Read[TokenRecord | None]:
        """``authenticate`` as a Read, to share a round trip with other reads."""
        hashed = digest(token)
        return Read(
            lambda client: client.hget(self.keys.tokens, hashed),
            lambda raw: TokenRecord(**json.loads(raw)) if raw else None,
        )

    def list(self) -> list[TokenRecord]:
        records = [TokenRecord(**json.loads(raw)) for raw in self.redis.hvals(self.keys.tokens)]
        return sorted(records, key=lambda record: record.created_at)

    def revoke(self, token_id: str, *, keep_an_admin: bool = True) -> bool:
        """False when there is no such token. Raises LastAdminToken, revoking nothing, if
        it is the last admin token, unless ``keep_an_admin`` is False."""
        done = self._revoke(
            keys=[self.keys.tokens, self._by_id], args=[token_id, "1" if keep_an_admin else "0"]
        )
        if done == -1:
            raise LastAdminToken(token_id)
        return bool(done)
