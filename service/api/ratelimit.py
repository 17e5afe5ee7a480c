"""Per-token rate limits, counted in Redis so every API replica shares them."""

from __future__ import annotations

import hashlib

from flask import Flask, request
from flask_limiter import Limiter

from service.runtime.config import Config

UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def caller_key() -> str:
    """The token (hashed: plaintext never reaches Redis), or the client address."""
    header = request.headers.get("Authorization")
    if header:
        return "token:" + hashlib.sha256(header.encode()).hexdigest()[:32]
    return "addr:" + (request.remote_addr or "unknown")


def install(app: Flask, config: Config) -> Limiter:
    limiter = Limiter(
        caller_key,
        app=app,
        default_limits=[config.rate_limit],
        storage_uri=config.redis_url,
        key_prefix=f"{config.key_prefix}:ratelimit",
        # X-RateLimit-* headers cost two more Redis round trips on every request; only a
        # refused request gets Retry-After (see errors.ProblemApi).
        headers_enabled=False,
        # A Redis outage is reported by the request itself (503), not by the limiter.
        swallow_errors=True,
    )
    limiter.request_filter(lambda: request.path in UNLIMITED_PATHS)
    return limiter
