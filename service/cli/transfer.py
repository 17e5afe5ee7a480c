"""`reform-tracker export` and `import`: the log as JSON Lines, with both hashes per event."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from service.cli.base import CliError, add_connection_options, open_services
from service.ledger.exporting import BadExport, export, import_log, read_export


def export_arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)
    parser.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")


def run_export(args: argparse.Namespace) -> int:
    store = open_services(args).store
    if args.output is None:
        count = export(store, sys.stdout)
    else:
        with args.output.open("w", encoding="utf-8") as out:
            count = export(store, out)
    print(f"exported {count} events", file=sys.stderr)
    return 0


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
