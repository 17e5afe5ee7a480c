"""python -m bench [--quick] [--json out.json], run from the repository root."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.harness import run_all
from bench.report import notes, table

DEFAULT_JSON = Path(__file__).parent / "results" / "latest.json"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks against a freshly started redis-server (AOF, fsync always).",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="short runs, 3 repetitions: checks the harness, not the speed",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        help=f"where to write the results (default {DEFAULT_JSON})",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="SECTION",
        help='run only this section (by its name, e.g. "Bulk report"); repeatable',
    )
    args = parser.parse_args(argv)
    results = run_all(
        args.quick, progress=lambda line: print(line, file=sys.stderr), only=args.only
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print()
    print(notes(results))
    print(f"\nresults written to {args.json}")
    failed = [section["name"] for section in results["sections"] if section["status"] == "failed"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
