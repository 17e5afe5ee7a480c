"""Refuse to acknowledge events on a Redis that could lose them.

At start-up ``ensure_durable`` refuses a lossy server outright. While running,
``DurabilityGuard`` keeps refusing: every append asks it first, and it re-reads the
server's configuration at most once per ``MAX_AGE`` seconds per process (one round trip
for the three settings), so the hot path pays no extra round trip while an operator's
``CONFIG SET appendfsync no`` stops acknowledgements within ``MAX_AGE``: an append that
starts more than ``MAX_AGE`` after the change is refused before anything is sent. The
verdict is timed from before its check was sent, so a slow reply never stretches the
bound. ``RT_ALLOW_UNSAFE_REDIS`` (tests/dev only) turns the guard off.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis

from service.ledger.appends import _text

REQUIRED = {
    "appendonly": "yes",
    "appendfsync": "always",
    "maxmemory-policy": "noeviction",
}
# How stale the guard's verdict may be (seconds): the documented bound on how long a
# running process keeps acknowledging appends after Redis was reconfigured to lose them.
MAX_AGE = 1.0


class UnsafeRedis(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            "Redis could lose acknowledged events: "
            + "; ".join(problems)
            + ". Fix the server configuration, or set RT_ALLOW_UNSAFE_REDIS=1 for tests/dev."
        )
        self.problems = problems


def durability_problems(client: redis.Redis) -> list[str]:
    """What about this server's configuration could lose an acknowledged event.

    The three settings are read in one round trip."""
    pipe = client.pipeline(transaction=False)
    for name in REQUIRED:
        pipe.config_get(name)
    replies = pipe.execute(raise_on_error=False)
    problems = []
    for (name, wanted), reply in zip(REQUIRED.items(), replies, strict=True):
        if isinstance(reply, redis.ResponseError):
            problems.append(f"cannot read {name} ({reply}); it must be {wanted}")
            continue
        if isinstance(reply, Exception):
            raise reply
        # Clients may or may not decode replies: normalise the keys and values to text.
        decoded = {_text(key): _text(value) for key, value in dict(reply).items()}
        actual = decoded.get(name)
        if actual != wanted:
            problems.append(f"{name} is {actual!r}, must be {wanted!r}")
    return problems


def ensure_durable(client: redis.Redis, allow_unsafe: bool) -> list[str]:
    problems = durability_problems(client)
    if problems and not allow_unsafe:
        raise UnsafeRedis(problems)
    return problems


class DurabilityGuard:
    """Raises UnsafeRedis before an append while the server could lose it (see the
    module docstring for the bound). Shared by the threads of a process: a race only
    costs a redundant check."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        max_age: float = MAX_AGE,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.max_age = max_age
        self.now = now
        self._verdict: tuple[float, list[str]] | None = None

    def __call__(self) -> None:
        verdict = self._verdict
        if verdict is None or self.now() - verdict[0] >= self.max_age:
            asked = self.now()
            verdict = (asked, durability_problems(self.client))
            self._verdict = verdict
        if verdict[1]:
            raise UnsafeRedis(verdict[1])
