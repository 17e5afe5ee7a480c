"""Bearer tokens (admin only). The plaintext is shown once, at creation."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.tokens import TokenCreated, TokenIn, TokenOut
from service.api.auth import current_token, services

blp = Blueprint(
    "tokens",
    __name__,
    url_prefix="/tokens",
    description="Access tokens, scoped by role and agency.",
)


@blp.route("")
class Tokens(MethodView):
    @blp.response(200, TokenOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """List tokens (never their secrets)."""
        return [asdict(record) for record in services().access.list_tokens(current_token())]

    @blp.arguments(TokenIn())
    @blp.response(201, TokenCreated)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a token; the response is the only time its value is shown."""
        token, record = services().access.create_token(
            current_token(), body["role"], body["agency"], body["label"]
        )
        return {**asdict(record), "token": token}


@blp.route("/<uuid:token_id>")
class Token(MethodView):
    @blp.response(204)
    @blp.alt_response(409, description="It is the last admin token: create another first")
    def delete(self, token_id: Any) -> None:
        """Revoke a token. The last admin token is never revoked (409, code
        last-admin-token): without one, access could only be recovered from the command line."""
        services().access.revoke_token(current_token(), str(token_id))
