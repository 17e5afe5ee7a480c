"""Rate limits, counted in Redis so every API replica shares them.

One budget per bearer token across every route (flask-limiter's application limit, one
Redis round trip per request, as before): spreading requests over many routes buys no
more. A request without a token is counted against its client address. A bearer token
is only known to be valid after the limiter has counted the request, so a made-up token
is counted under its own name first; a refused one is then also counted against the
client address (one more round trip, paid only by requests answered 401), and once that
address has spent its budget on refusals it gets 429 instead of 401. A client can thus
neither dodge the limit nor load the service without end by sending a new token each time.
"""

from __future__ import annotations

import hashlib

from flask import Flask, request
from flask_limiter import ApplicationLimit, Limiter
from flask_smorest import abort
from limits import parse

from service.api.auth import FAILED_AUTHENTICATION, presented_token
from service.ledger.keys import Keys
from service.runtime.config import Config
from service.runtime.connection import storage_uri

UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _address() -> str:
    return "addr:" + (request.remote_addr or "unknown")


def caller_key() -> str:
    """The token (hashed: plaintext never reaches Redis), or the client address."""
    token = presented_token()
    if token:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return _address()


def install(app: Flask, config: Config) -> Limiter:
    key_prefix = Keys(config.key_prefix).ratelimit
    limiter = Limiter(
        caller_key,
        app=app,
        application_limits=[ApplicationLimit(config.rate_limit)],
        storage_uri=storage_uri(config),
        key_prefix=key_prefix,
        # X-RateLimit-* headers cost two more Redis round trips on every request; only a
        # refused request gets Retry-After (see errors.ProblemApi).
        headers_enabled=False,
        # A Redis outage is reported by the request itself (503), not by the limiter.
        swallow_errors=True,
    )
    limiter.request_filter(lambda: request.path in UNLIMITED_PATHS)
    refusals = parse(config.rate_limit)

    def count_refusal() -> None:
        """Called by auth before it answers 401 to a request that presented credentials."""
        if not limiter.limiter.hit(refusals, key_prefix, _address(), "failed-authentication"):
            abort(
                429,
                message="Too many requests with unknown credentials from this address.",
                # The whole window: waiting that long is always enough.
                headers={"Retry-After": str(refusals.get_expiry())},
            )

    app.extensions[FAILED_AUTHENTICATION] = count_refusal
    return limiter
