"""`reform-tracker verify`: walk the hash chains; exit 1 if any stored event was altered,
removed or reordered."""

from __future__ import annotations

import argparse
import json

from service.cli.base import add_connection_options, open_services


def arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    report = open_services(args).store.verify()
    if args.json:
        print(json.dumps(report.to_dict()))
    elif report.breach is None:
        print(f"OK: {report.events_checked} events checked; every chain is intact.")
        print(f"Head: position {report.head_position}, hash {report.head_hash}")
    else:
        where = f" in stream {report.breach.stream}" if report.breach.stream else ""
        print(f"BREACH at position {report.breach.position}{where}: {report.breach.reason}")
        print(f"{report.events_checked} events before it check out.")
    return 0 if report.ok else 1
