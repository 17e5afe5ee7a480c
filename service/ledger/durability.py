"""Refuse to acknowledge events on a Redis that could lose them.

At start-up ``ensure_durable`` refuses a lossy server outright. While running,
``DurabilityGuard`` keeps refusing: every append asks it first, and it re-reads the
server's configuration at most once per ``MAX_AGE`` seconds per process (one round trip
to the primary, one more per replica), so the hot path pays no extra round trip while an
operator's ``CONFIG SET appendfsync no`` stops acknowledgements within ``MAX_AGE``: an
append that starts more than ``MAX_AGE`` after the change is refused before anything is
sent. The verdict is timed from before its check was sent, so a slow reply never
stretches the bound. ``RT_ALLOW_UNSAFE_REDIS`` (tests/dev only) turns the guard off.

With replicas, a failover promotes one of them, so each must be as durable as the
primary: every replica the primary lists is checked the same way. The primary must also
have ``min-replicas-to-write`` of at least 1, so that a primary cut off from its
replicas (a partition, or a pause longer than Sentinel's failover timeout) refuses writes
instead of taking ones a failover would then drop. And the verdict says how many replicas
an append must reach (Redis WAIT) before it is acknowledged: RT_MIN_REPLICAS_ACK, or by
default one as soon as the primary has, or expects, a replica (none on a lone server).
Once a process has seen replicas it keeps asking for one: a replica that drops out must
not silently turn acknowledgements back into primary-only ones.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from service.ledger.appends import _text
from service.runtime.connection import primaries, rerouted, sibling

REQUIRED = {
    "appendonly": "yes",
    "appendfsync": "always",
    "maxmemory-policy": "noeviction",
}
MIN_REPLICAS = "min-replicas-to-write"
# How stale the guard's verdict may be (seconds): the documented bound on how long a
# running process keeps acknowledging appends after Redis was reconfigured to lose them.
MAX_AGE = 1.0
AUTOMATIC = -1  # RT_MIN_REPLICAS_ACK's default


class UnsafeRedis(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            "Redis could lose acknowledged events: "
            + "; ".join(problems)
            + ". Fix the server configuration, or set RT_ALLOW_UNSAFE_REDIS=1 for tests/dev."
        )
        self.problems = problems


@dataclass(frozen=True)
class Verdict:
    problems: list[str]
    # Replicas an append must reach before it is acknowledged.
    replicas_needed: int


def _settings(replies: list[Any], wanted: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """CONFIG GET replies as text, and what stops the settings that could not be read
    from being checked."""
    found, unreadable = {}, []
    for (name, value), reply in zip(wanted.items(), replies, strict=True):
        if isinstance(reply, redis.ResponseError):
            unreadable.append(f"cannot read {name} ({reply}); it must be {value}")
            continue
        if isinstance(reply, Exception):
            raise reply
        # Clients may or may not decode replies: normalise the keys and values to text.
        decoded = {_text(key): _text(value) for key, value in dict(reply).items()}
        found[name] = decoded.get(name) or ""
    return found, unreadable


def _lossy(client: redis.Redis, extra: list[str], where: str = "") -> tuple[list[str], list[Any]]:
    """The problems with REQUIRED on one server, and the replies to ``extra`` commands
    sent in the same round trip (each a command name and its arguments, space-separated)."""
    pipe = client.pipeline(transaction=False)
    for name in REQUIRED:
        pipe.config_get(name)
    for command in extra:
        pipe.execute_command(*command.split(" "))
    replies = pipe.execute(raise_on_error=False)
    found, unreadable = _settings(replies[: len(REQUIRED)], REQUIRED)
    problems = [where + problem for problem in unreadable]
    for name, wanted in REQUIRED.items():
        if name in found and found[name] != wanted:
            problems.append(f"{where}{name} is {found[name]!r}, must be {wanted!r}")
    return problems, replies[len(REQUIRED) :]


def replicas_listed(info: Any) -> list[tuple[str, int, bool]]:
    """The replicas in a primary's INFO replication ("slave0": {"ip": ..., "port": ...}),
    each with whether it is answering the primary now (online, acknowledged within a
    second): only those can confirm an append, and only those are worth asking."""
    fields = info if isinstance(info, dict) else {}
    listed = [v for k, v in fields.items() if str(k).startswith("slave") and isinstance(v, dict)]
    return [
        (str(e["ip"]), int(e["port"]), e.get("state") == "online" and int(e.get("lag", 0)) <= 1)
        for e in listed
    ]


def inspect(
    client: redis.Redis,
    min_replicas_ack: int = AUTOMATIC,
    *,
    replicated: bool = False,
    replica: Callable[[str, int], redis.Redis] | None = None,
    known: dict[tuple[str, int], list[str]] | None = None,
) -> Verdict:
    """What about this deployment's configuration could lose an acknowledged event, and
    how many replicas an append must reach. ``replicated``: replicas were seen before.
    ``known``: each replica's problems when last checked, kept up to date here; a replica
    that does not answer now keeps its last verdict, or none: it cannot confirm appends
    meanwhile, and is checked within ``MAX_AGE`` of answering again."""
    known = {} if known is None else known
    nodes = primaries(client)
    if nodes != [client]:  # a cluster: each primary (and its replicas) on its own
        verdicts = [
            inspect(node, min_replicas_ack, replicated=replicated, replica=replica, known=known)
            for node in nodes
        ]
        problems = [problem for verdict in verdicts for problem in verdict.problems]
        return Verdict(problems, max(verdict.replicas_needed for verdict in verdicts))
    problems, (min_to_write, info) = _lossy(
        client, [f"CONFIG GET {MIN_REPLICAS}", "INFO replication"]
    )
    settings, unreadable = _settings([min_to_write], {MIN_REPLICAS: "at least 1"})
    guarded = int(settings.get(MIN_REPLICAS) or 0)
    if isinstance(info, redis.ResponseError):  # INFO renamed away: replicas unknown
        unreadable.append(f"cannot list the replicas to check them ({info})")
    elif isinstance(info, Exception):
        raise info
    replicas = replicas_listed(info)
    expects = bool(replicas) or guarded > 0 or replicated
    needed = min_replicas_ack if min_replicas_ack >= 0 else int(expects)
    if expects or needed:  # a lone server needs neither
        problems += unreadable
    if (expects or needed) and guarded < 1 and MIN_REPLICAS in settings:
        problems.append(
            f"{MIN_REPLICAS} is 0 on the primary, must be at least 1 so that a primary cut "
            "off from its replicas refuses writes"
        )
    for host, port, answering in replicas:
        where = f"replica {host}:{port}: "
        # One that went quiet since the primary last heard from it counts as not answering.
        with contextlib.suppress(redis.RedisError):
            if answering:
                known[(host, port)] = _lossy((replica or sibling(client))(host, port), [], where)[0]
        problems += known.get((host, port), [])
    return Verdict(problems, needed)


def durability_problems(client: redis.Redis, min_replicas_ack: int = AUTOMATIC) -> list[str]:
    return inspect(client, min_replicas_ack).problems


def ensure_durable(
    client: redis.Redis, allow_unsafe: bool, min_replicas_ack: int = AUTOMATIC
) -> list[str]:
    problems = durability_problems(client, min_replicas_ack)
    if problems and not allow_unsafe:
        raise UnsafeRedis(problems)
    return problems


class DurabilityGuard:
    """Raises UnsafeRedis before an append while the deployment could lose it, else
    answers how many replicas the append must reach (see the module docstring for the
    bound). Shared by the threads of a process: a race only costs a redundant check."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        min_replicas_ack: int = AUTOMATIC,
        max_age: float = MAX_AGE,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.min_replicas_ack = min_replicas_ack
        self.max_age = max_age
        self.now = now
        self._verdict: tuple[float, Verdict] | None = None
        self._replicas = sibling(client)
        self._known: dict[tuple[str, int], list[str]] = {}

    def __call__(self) -> int:
        verdict = self._verdict
        if verdict is None or self.now() - verdict[0] >= self.max_age:
            asked = self.now()
            replicated = verdict is not None and verdict[1].replicas_needed > 0
            with rerouted(self.client):  # a cluster's primaries may have changed
                found = inspect(
                    self.client,
                    self.min_replicas_ack,
                    replicated=replicated,
                    replica=self._replicas,
                    known=self._known,
                )
            verdict = (asked, found)
            self._verdict = verdict
        if verdict[1].problems:
            raise UnsafeRedis(verdict[1].problems)
        return verdict[1].replicas_needed
