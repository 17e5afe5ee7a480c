"""Refuse to acknowledge events on a Redis that could lose them."""

from __future__ import annotations

import redis

from service.ledger.appends import _text

REQUIRED = {
    "appendonly": "yes",
    "appendfsync": "always",
    "maxmemory-policy": "noeviction",
}


class UnsafeRedis(Exception):
    pass


def durability_problems(client: redis.Redis) -> list[str]:
    """What about this server's configuration could lose an acknowledged event."""
    problems = []
    for name, wanted in REQUIRED.items():
        try:
            reply = client.config_get(name)
        except redis.ResponseError as error:
            problems.append(f"cannot read {name} ({error}); it must be {wanted}")
            continue
        # Clients may or may not decode replies: normalise the keys and values to text.
        decoded = {_text(key): _text(value) for key, value in dict(reply).items()}
        actual = decoded.get(name)
        if actual != wanted:
            problems.append(f"{name} is {actual!r}, must be {wanted!r}")
    return problems


def ensure_durable(client: redis.Redis, allow_unsafe: bool) -> list[str]:
    problems = durability_problems(client)
    if problems and not allow_unsafe:
        raise UnsafeRedis(
            "Redis could lose acknowledged events: "
            + "; ".join(problems)
            + ". Fix the server configuration, or set RT_ALLOW_UNSAFE_REDIS=1 for tests/dev."
        )
    return problems
