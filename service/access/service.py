"""Application service for access: who may hold which token.

Every change of access goes through here, so the rules (administrators only; the last
admin token stays) are checked in one place whatever the door: the API, the pages or a
future import.
"""

from __future__ import annotations

from service.access import policy
from service.access.policy import TokenRecord
from service.access.tokens import TokenRegistry
from service.ledger.domain.errors import NotFound


class AccessDesk:
    def __init__(self, tokens: TokenRegistry) -> None:
        self.tokens = tokens

    def list_tokens(self, actor: TokenRecord) -> list[TokenRecord]:
        policy.authorize(actor, policy.ADMINISTER)
        return self.tokens.list()

    def create_token(
        self, actor: TokenRecord, role: str, agency: str | None, label: str
    ) -> tuple[str, TokenRecord]:
        """The plaintext token (shown once) and its record."""
        policy.authorize(actor, policy.ADMINISTER)
        return self.tokens.create(role, agency, label)

    def revoke_token(self, actor: TokenRecord, token_id: str) -> None:
        """Raises LastAdminToken, revoking nothing, for the last admin token."""
        policy.authorize(actor, policy.ADMINISTER)
        if not self.tokens.revoke(token_id):
            raise NotFound(f"token {token_id}")
