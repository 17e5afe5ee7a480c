"""`reform-tracker verify`: walk the hash chains — of the live log, or of an export file
offline with --file — and exit 1 if any event was altered, removed or reordered."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from service.cli.base import CliError, add_connection_options, open_services
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
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
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


def _report(args: argparse.Namespace) -> VerifyReport:
    if args.file is None:
        return open_services(args).store.verify()
    if not args.file.is_file():
        raise CliError(f"no such export file: {args.file}")
    try:
        return verify_file(args.file)
    except BadExport as error:
        raise CliError(str(error), exit_code=1) from None
