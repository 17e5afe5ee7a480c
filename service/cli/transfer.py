"""`reform-tracker export` and `import`: the log as JSON Lines, with both hashes per event."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from service.cli.base import CliError, add_connection_options, open_services
from service.ledger.exporting import BadExport, export, import_log, read_export
from service.ledger.integrity import BrokenLog


def export_arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)
    parser.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    parser.add_argument(
        "--force",
        action="store_true",
        help="export a log that does not verify, as stored (default: refuse)",
    )


def run_export(args: argparse.Namespace) -> int:
    store = open_services(args).store
    try:
        if args.output is None:
            report = export(store, sys.stdout, force=args.force)
        else:
            # Written beside the target and renamed, so a refusal leaves no partial file.
            partial = args.output.with_name(args.output.name + ".partial")
            with partial.open("w", encoding="utf-8") as out:
                report = export(store, out, force=args.force)
            partial.replace(args.output)
    except BrokenLog as error:
        if args.output is not None:
            args.output.with_name(args.output.name + ".partial").unlink(missing_ok=True)
        raise CliError(str(error), exit_code=1) from None
    if report.breach is not None:
        print(f"WARNING: forced past a log that does not verify: {report.breach}", file=sys.stderr)
    if report.missing:
        print(
            f"WARNING: skipped missing positions {_ranges(report.missing)}; "
            "the export lacks those events",
            file=sys.stderr,
        )
    print(f"exported {report.count} events", file=sys.stderr)
    return 0


def _ranges(positions: tuple[int, ...]) -> str:
    """1,2,3,7 as "1-3, 7": a deleted stretch of the log stays one short line."""
    spans: list[list[int]] = []
    for position in positions:
        if spans and spans[-1][1] == position - 1:
            spans[-1][1] = position
        else:
            spans.append([position, position])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def import_arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)
    parser.add_argument("file", type=Path, help="an export written by `reform-tracker export`")


def run_import(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise CliError(f"no such export file: {args.file}")
    services = open_services(args)
    try:
        count = import_log(services.store, read_export(args.file))
    except BadExport as error:
        raise CliError(str(error), exit_code=1) from None
    print(f"imported {count} events; run `reform-tracker rebuild` to refresh the dashboards")
    return 0
