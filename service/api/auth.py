"""Bearer-token authentication for every request."""

from __future__ import annotations

from flask import current_app, g, request
from flask_smorest import abort

from service.bootstrap import Services
from service.policy import READ, authorize
from service.tokens import TokenRecord

# The identity used for anonymous reads when public read mode is on.
PUBLIC = TokenRecord(id="public", role="viewer", agency=None, label="public", created_at="")


def services() -> Services:
    found: Services = current_app.extensions["reform_tracker"]
    return found


def bearer_token() -> TokenRecord | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return services().tokens.authenticate(value.strip())


def current_token() -> TokenRecord:
    """The caller's token, or 401."""
    if "token" not in g:
        token = bearer_token()
        if token is None:
            abort(
                401,
                message="A valid bearer token is required.",
                headers={"WWW-Authenticate": 'Bearer realm="reform-tracker"'},
            )
        g.token = token
    token_record: TokenRecord = g.token
    return token_record


def reader() -> TokenRecord:
    """A token allowed to read; anonymous callers pass when public read mode is on."""
    if services().config.public_read and "Authorization" not in request.headers:
        return PUBLIC
    token = current_token()
    authorize(token, READ)
    return token


def require(permission: str) -> TokenRecord:
    token = current_token()
    authorize(token, permission)
    return token
