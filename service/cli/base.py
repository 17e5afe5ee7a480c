"""What every subcommand shares: how it is registered, and how it finds a safe Redis.

A command that finds Redis unreachable (down, restarting, still replaying its AOF) waits
for it with backoff, up to ``--wait`` seconds (default 10: a restart of the embedded
Redis or a failover takes a few), before it gives up with a one-line message. A Redis
that could lose acknowledged writes is refused at once: waiting will not fix it.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.bootstrap import Services, bootstrap
from service.ledger.durability import UnsafeRedis, ensure_durable
from service.runtime.config import Config
from service.runtime.connection import UNAVAILABLE, Client, StoreError, connect, described
from service.runtime.reconnect import Backoff
from service.runtime.redis_server import URL_FILE, recorded_url

log = logging.getLogger("reform_tracker.cli")

# Exit codes: 1 = the command ran and found a problem (e.g. a broken chain),
# 2 = it could not run (no Redis, unsafe Redis, bad arguments).
CANNOT_RUN = 2
WAIT_SECONDS = 10.0


class CliError(Exception):
    """A failure the user can fix; printed as one line, never as a traceback."""

    def __init__(self, message: str, exit_code: int = CANNOT_RUN) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    run: Callable[[argparse.Namespace], int] | None
    arguments: Callable[[argparse.ArgumentParser], None] | None = None
    # A long-running process (up, worker, scheduler): it logs JSON lines on stderr,
    # its failures included, like the API does; other commands print for a person.
    logs: bool = False


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--redis-url",
        help="Redis to use (default: RT_REDIS_URL / REDIS_URL, "
        f"else the one `up` recorded in <data-dir>/{URL_FILE})",
    )
    parser.add_argument(
        "--data-dir", help="data folder of the embedded Redis (default: RT_DATA_DIR or ./data)"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=WAIT_SECONDS,
        metavar="SECONDS",
        help="how long to wait for an unreachable Redis before giving up "
        f"(default: {WAIT_SECONDS:.0f})",
    )


def cli_config(args: argparse.Namespace, **overrides: Any) -> Config:
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = args.data_dir
    if getattr(args, "redis_url", None):
        overrides["redis_url"] = args.redis_url
    try:
        return Config.from_env(**overrides)
    except ValueError as error:
        raise CliError(f"an RT_* setting has an invalid value: {error}") from None


def resolve_redis(config: Config) -> Config:
    if config.has_redis:
        return config
    found = recorded_url(Path(config.data_dir))
    if not found:
        raise CliError(
            "no Redis to talk to: set RT_REDIS_URL, pass --redis-url, or start "
            f"`reform-tracker up` with this data folder ({config.data_dir}) first"
        )
    return config.with_(redis_url=found)


def checked_client(
    config: Config, *, decode: bool = True, hint: str = "", wait: float = WAIT_SECONDS
) -> Client:
    """A connection to a reachable Redis that will not lose acknowledged events; waits
    up to ``wait`` seconds for one that is unreachable."""
    try:
        client = connect(config, decode=decode)
    except ValueError as error:  # RT_REDIS_SENTINELS / RT_REDIS_SERVICE malformed
        raise CliError(str(error)) from None
    deadline = time.monotonic() + wait
    backoff = Backoff()
    while True:
        try:
            client.ping()
            problems = ensure_durable(client, config.allow_unsafe_redis, config.min_replicas_ack)
            break
        except UNAVAILABLE as error:
            delay = backoff.next_delay()
            if time.monotonic() + delay > deadline:
                client.close()
                raise _unreachable(config, error, hint) from None
            log.warning("waiting for Redis at %s: %s", described(config), error)
            time.sleep(delay)
        except StoreError as error:
            client.close()
            raise _unreachable(config, error, hint) from None
        except UnsafeRedis as error:
            client.close()
            raise CliError(str(error)) from None
    for problem in problems:
        # A log record: JSON in a long-running process, a plain line otherwise.
        log.warning("warning: RT_ALLOW_UNSAFE_REDIS is set and %s", problem)
    return client


def _unreachable(config: Config, error: Exception, hint: str) -> CliError:
    return CliError(f"cannot reach Redis at {described(config)}: {error}{hint}")


def connected(args: argparse.Namespace, *, decode: bool = True) -> tuple[Config, Client]:
    config = cli_config(args)
    hint = ""
    if not config.has_redis:
        # A stale file: `up` was killed before it could remove it.
        hint = f" (address found in {Path(config.data_dir) / URL_FILE}; is `up` running?)"
    config = resolve_redis(config)
    wait = getattr(args, "wait", WAIT_SECONDS)
    return config, checked_client(config, decode=decode, hint=hint, wait=wait)


def require_queue_redis(config: Config) -> None:
    """Refuse to run workers where RQ cannot keep its queues: on a cluster without
    RT_QUEUE_REDIS_URL."""
    if not config.has_queues:
        raise CliError(
            "RT_REDIS_CLUSTER is set, and RQ cannot keep its queues on a cluster: set "
            "RT_QUEUE_REDIS_URL to a plain Redis for them (see docs/operations.md)"
        )


def queues_connected(args: argparse.Namespace) -> tuple[Config, Client]:
    """The worker's and the scheduler's connection, to the Redis of RQ's queues (without
    reply decoding: RQ stores pickles). Both Redis are checked as ``connected`` does: the
    log's, which the jobs write to, and the queues' (RT_QUEUE_REDIS_URL), whose lost jobs
    would delay deliveries (docs/operations.md)."""
    require_queue_redis(cli_config(args))
    config, client = connected(args, decode=False)
    if not config.queue_redis_url:
        return config, client
    client.close()
    wait = getattr(args, "wait", WAIT_SECONDS)
    try:
        return config, checked_client(config.queue_redis, decode=False, wait=wait)
    except CliError as error:
        raise CliError(f"the queue Redis (RT_QUEUE_REDIS_URL): {error}") from None


def open_services(args: argparse.Namespace) -> Services:
    config, client = connected(args)
    return bootstrap(config, client=client)
