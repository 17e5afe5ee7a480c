"""HTTP details shared by the resource blueprints: ETags, If-Match, idempotency keys."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import g, request
from flask_smorest import abort

from service.access.policy import TokenRecord
from service.ledger.domain.chain import canonical
from service.ledger.domain.dicts import as_dict
from service.ledger.eventstore import Idempotency
from service.tracking.tracker import Loaded

MAX_IDEMPOTENCY_KEY = 200
# A stream version is a Redis integer (at most 19 digits); longer is no ETag of ours, and
# past 4,300 digits int() itself refuses.
MAX_VERSION_DIGITS = 19


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version() -> int | None:
    """The version named by If-Match (ETag = stream version), or None when absent."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit()) or len(value) > MAX_VERSION_DIGITS:
        abort(412, message='If-Match must be an ETag returned by this API, e.g. "3".')
    return int(value)


def idempotency(token: TokenRecord, content: bytes | None = None) -> Idempotency | None:
    """The request's Idempotency-Key, fingerprinted by the method, the path and the body
    (its JSON, or the SHA-256 of ``content``, a file that is not JSON)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        abort(422, errors={"Idempotency-Key": [f"1-{MAX_IDEMPOTENCY_KEY} printable characters"]})
    if content is not None:
        body: Any = hashlib.sha256(content).hexdigest()
    else:
        body = request.get_json(silent=True)
    fingerprint = hashlib.sha256(
        canonical([request.method, request.path, body])
        if body is not None
        else canonical([request.method, request.path])
    ).hexdigest()
    return Idempotency(scope=token.id, key=key, fingerprint=fingerprint)


def correlation_id() -> str | None:
    return g.get("request_id")


def represent(
    loaded: Loaded[Any], derive: Callable[[Any], dict[str, Any]] | None = None
) -> dict[str, Any]:
    """An aggregate's folded state plus its version, timestamps and derived fields."""
    return {
        **as_dict(loaded.state),
        "version": loaded.version,
        "created_at": loaded.events[0].recorded_at,
        "updated_at": loaded.events[-1].recorded_at,
        **(derive(loaded.state) if derive else {}),
    }


def versioned(body: dict[str, Any], version: int, status: int = 200) -> tuple[Any, int, dict]:
    return body, status, {"ETag": etag(version)}
