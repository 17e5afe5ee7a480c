"""Bearer-token authentication for every request."""

from __future__ import annotations

from typing import TypeVar

from flask import current_app, g, request
from flask_smorest import abort

from service.access.policy import READ, TokenRecord, authorize
from service.bootstrap import Services
from service.ledger.reads import Read, replies

T = TypeVar("T")

# app.extensions key of the rate limiter's hook for refused credentials (ratelimit.py):
# called before every 401 to a request that presented some, it may answer 429 instead.
FAILED_AUTHENTICATION = "reform_tracker_failed_authentication"

# The identity used for anonymous reads when public read mode is on.
PUBLIC = TokenRecord(id="public", role="viewer", agency=None, label="public", created_at="")


def services() -> Services:
    found: Services = current_app.extensions["reform_tracker"]
    return found


def presented_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def presents_token() -> bool:
    return presented_token() is not None


def authenticated() -> bool:
    """Whether the caller presents a valid token (kept for the view, which then needs no
    second look-up)."""
    if "token" not in g:
        token = bearer_token()
        if token is None:
            return False
        g.token = token
    return True


def bearer_token() -> TokenRecord | None:
    presented = presented_token()
    return services().tokens.authenticate(presented) if presented else None


def current_token() -> TokenRecord:
    """The caller's token, or 401."""
    if "token" not in g:
        _accept(bearer_token())
    token_record: TokenRecord = g.token
    return token_record


def current_token_with(read: Read[T]) -> tuple[TokenRecord, T]:
    """The caller's token (or 401) and the result of ``read``, fetched in one round trip.
    ``read`` is finished only once the token is known to be valid, so a caller without
    one learns nothing from it (not even a 404)."""
    presented = presented_token()
    if "token" in g or presented is None:
        token = current_token()  # known already, or 401
        return token, read.run(services().redis)
    lookup = services().tokens.lookup(presented)
    token_reply, reply = replies(services().redis, lookup, read)
    _accept(lookup.finish(token_reply))
    return current_token(), read.finish(reply)


def _accept(token: TokenRecord | None) -> None:
    if token is None:
        count_refusal = current_app.extensions.get(FAILED_AUTHENTICATION)
        if count_refusal is not None and "Authorization" in request.headers:
            count_refusal()
        abort(
            401,
            message="A valid bearer token is required.",
            headers={"WWW-Authenticate": 'Bearer realm="reform-tracker"'},
        )
    g.token = token


def reader() -> TokenRecord:
    """A token allowed to read; anonymous callers pass when public read mode is on, as
    PUBLIC, and see what service/access/disclosure.py allows."""
    if reads_publicly():
        return PUBLIC
    return log_reader()


def reads_publicly() -> bool:
    """Whether ``reader()`` is PUBLIC: public read mode is on and no token is presented."""
    return services().config.public_read and "Authorization" not in request.headers


def reader_with(read: Read[T]) -> tuple[TokenRecord, T]:
    """``reader()`` and the result of ``read`` in one round trip, as ``current_token_with``."""
    if reads_publicly():
        return PUBLIC, read.run(services().redis)
    token, found = current_token_with(read)
    authorize(token, READ)
    return token, found


def log_reader() -> TokenRecord:
    """A token allowed to read the event log itself, which names who did what and holds
    comments: never public, even in public read mode (docs/public.md)."""
    token = current_token()
    authorize(token, READ)
    return token


def require(permission: str) -> TokenRecord:
    token = current_token()
    authorize(token, permission)
    return token
