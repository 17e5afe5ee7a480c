"""`reform-tracker verify`: walk the hash chains — of the live log, or of an export file
offline with --file — and exit 1 if any event was altered, removed or reordered. With
--read-models, compare the live read models with a fold of the log instead."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from service.cli.base import CliError, add_connection_options, open_services
from service.dashboards.readmodel_check import check_read_models
from service.ledger.domain.chain import VerifyReport
from service.ledger.exporting import BadExport, verify_file


def arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)
    parser.add_argument(
        "--file",
        type=Path,
        help="verify an export (JSON Lines from `reform-tracker export`) without Redis",
    )
    parser.add_argument(
        "--head-hash",
        help="with --file: the published head hash the export must end with "
        "(catches a truncated export)",
    )
    parser.add_argument(
        "--read-models",
        action="store_true",
        help="instead, fold the log and compare it with the live read models, naming the "
        "first record that differs (the dashboards show the outcome)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    if args.read_models:
        return _check_read_models(args)
    report = _report(args)
    # Only a published head hash can show an intact but shortened log; without one the
    # question is not asked, and a broken log matches nothing.
    matches: bool | None = None
    if args.head_hash:
        matches = report.ok and report.head_hash == args.head_hash
    if args.json:
        print(json.dumps({**report.to_dict(), "matches_head_hash": matches}))
    elif report.breach is not None:
        print(f"BREACH at {report.breach}")
        print(f"{report.events_checked} events before it check out.")
    elif matches is False:
        print(
            f"MISMATCH: the export ends at hash {report.head_hash}, not the published "
            f"{args.head_hash}: events are missing from its end."
        )
    else:
        print(f"OK: {report.events_checked} events checked; every chain is intact.")
        if report.sealed_position == report.head_position:
            print(f"Head: position {report.head_position}, hash {report.head_hash}")
        else:  # the worker has not sealed the newest events yet
            print(
                f"Head: position {report.head_position}; sealed up to position "
                f"{report.sealed_position}, hash {report.head_hash}"
            )
    return 0 if report.ok and matches is not False else 1


def _check_read_models(args: argparse.Namespace) -> int:
    if args.file is not None:
        raise CliError("--read-models checks the live service; it takes no --file")
    check = check_read_models(open_services(args))
    if args.json:
        print(json.dumps(check.to_dict()))
    elif check.difference is None:
        at = ", ".join(f"{family} at {p}" for family, p in check.checkpoints.items())
        print(f"OK: every read-model record matches the log folded to its checkpoint ({at}).")
    else:
        print(f"DIFFERS: {check.difference}")
    return 0 if check.ok else 1


def _report(args: argparse.Namespace) -> VerifyReport:
    if args.file is None:
        return open_services(args).store.verify()
    if not args.file.is_file():
        raise CliError(f"no such export file: {args.file}")
    try:
        return verify_file(args.file)
    except BadExport as error:
        raise CliError(str(error), exit_code=1) from None
