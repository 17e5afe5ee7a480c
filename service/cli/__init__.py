"""The `reform-tracker` command line.

A subcommand is a module with a ``run(args) -> int`` function (and, if it takes options,
an ``arguments(parser)`` function), registered by one line in COMMANDS below.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from service.cli import (
    demo,
    keys,
    projection,
    prove,
    secret_keys,
    tokens,
    transfer,
    up,
    verify,
    witness,
    workers,
)
from service.cli.base import CliError, Command
from service.runtime import logs
from service.runtime.config import Config

log = logging.getLogger("reform_tracker.cli")

COMMANDS: list[Command] = [
    Command(
        "up",
        "start Redis (embedded unless RT_REDIS_URL is set), API, worker and scheduler",
        up.run,
        up.arguments,
        logs=True,
    ),
    Command(
        "worker",
        "run an RQ worker for projections and alerts",
        workers.run_worker,
        workers.worker_arguments,
        logs=True,
    ),
    Command(
        "scheduler",
        "enqueue the periodic jobs (alert scans, projector wake-ups)",
        workers.run_scheduler,
        workers.arguments,
        logs=True,
    ),
    Command("token", "create, list and revoke API tokens", None, tokens.arguments),
    Command("keys", "create or show the log's checkpoint signing key", None, keys.arguments),
    Command(
        "witness",
        "run a witness that cosigns a log's checkpoints after checking their consistency",
        witness.run,
        witness.arguments,
        logs=True,
    ),
    Command(
        "secrets",
        "reseal webhook secrets with the newest key (after an upgrade or a key change)",
        None,
        secret_keys.arguments,
    ),
    Command("verify", "check every hash chain of the event log", verify.run, verify.arguments),
    Command(
        "prove",
        "check offline that one event is in the log a signed checkpoint commits to",
        prove.run,
        prove.arguments,
    ),
    Command("demo", "load the example programme 'Army reform 2026'", demo.run, demo.arguments),
    Command(
        "export",
        "write the event log as JSON Lines with its hashes",
        transfer.run_export,
        transfer.export_arguments,
    ),
    Command(
        "import",
        "restore an export into an empty store (refused unless it verifies)",
        transfer.run_import,
        transfer.import_arguments,
    ),
    Command(
        "rebuild",
        "rebuild read models from the event log into new keys, then switch (no downtime)",
        projection.run_rebuild,
        projection.rebuild_arguments,
    ),
    Command(
        "projector",
        "projector status: checkpoint, lag, last error",
        None,
        projection.projector_arguments,
    ),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reform-tracker",
        description="Event-sourced, hash-chained tracker for government reform programmes.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help)
        if command.arguments:
            command.arguments(sub)
        if command.run:
            sub.set_defaults(run=command.run, logs=command.logs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    structured = getattr(args, "logs", False)  # `token` subcommands set no default
    if structured:
        logs.configure(_log_level())
    try:
        code: int = args.run(args)
    except CliError as error:
        if structured:
            log.error("reform-tracker %s: %s", args.command, error)
        else:
            print(f"reform-tracker {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    return code


def _log_level() -> str:
    # Read before the command reads its settings, so that a bad setting is logged too.
    try:
        return Config.from_env().log_level
    except ValueError:
        return Config.log_level
