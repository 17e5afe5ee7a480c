"""Bearer tokens (admin only). The plaintext is shown once, at creation."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from schemas.tokens import TokenCreated, TokenIn, TokenOut
from service.api.auth import require, services
from service.policy import ADMINISTER

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
        require(ADMINISTER)
        return [asdict(record) for record in services().tokens.list()]

    @blp.arguments(TokenIn())
    @blp.response(201, TokenCreated)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a token; the response is the only time its value is shown."""
        require(ADMINISTER)
        token, record = services().tokens.create(body["role"], body["agency"], body["label"])
        return {**asdict(record), "token": token}


@blp.route("/<uuid:token_id>")
class Token(MethodView):
    @blp.response(204)
    def delete(self, token_id: Any) -> None:
        """Revoke a token."""
        require(ADMINISTER)
        if not services().tokens.revoke(str(token_id)):
            abort(404, message="no such token")
