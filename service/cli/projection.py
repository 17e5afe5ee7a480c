"""`reform-tracker rebuild` and `reform-tracker projector status`: the read models' upkeep."""

from __future__ import annotations

import argparse
import json
import sys
import time

from service.cli.base import CliError, add_connection_options, open_services
from service.dashboards.domain.milestone_projection import ProjectionGap
from service.dashboards.domain.readmodel import FAMILIES
from service.dashboards.projector_status import projector_status
from service.dashboards.rebuild import rebuild
from service.ledger.integrity import BrokenLog

BAR_WIDTH = 30


def rebuild_arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)
    parser.add_argument(
        "--projection",
        choices=FAMILIES,
        help="rebuild only this read model (default: all of them)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="rebuild from a log that does not verify, as stored (default: refuse)",
    )


class ProgressBar:
    """One line on stderr, redrawn at most ten times a second."""

    def __init__(self) -> None:
        self.drawn = 0.0

    def __call__(self, position: int, head: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.drawn < 0.1:
            return
        self.drawn = now
        share = position / head if head else 1.0
        filled = round(share * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        print(f"\r[{bar}] {share:6.1%} {position}/{head} events", end="", file=sys.stderr)
        if final:
            print(file=sys.stderr)


def run_rebuild(args: argparse.Namespace) -> int:
    services = open_services(args)
    bar = ProgressBar()
    try:
        report = rebuild(services, args.projection, progress=bar, force=args.force)
    except (TimeoutError, BrokenLog, ProjectionGap) as error:
        raise CliError(str(error), exit_code=1) from None
    bar(report.position, report.position, final=True)
    if report.forced_past is not None:
        print(
            f"WARNING: forced past a log that does not verify: {report.forced_past}. "
            "The dashboards fold the log as stored; events missing from it were skipped."
        )
    print(
        f"Rebuilt {', '.join(report.families)} from {report.position} events in "
        f"{report.seconds:.1f} s; generation {report.generation} is live."
    )
    return 0


def projector_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    status = actions.add_parser("status", help="checkpoint, head, lag and the last error")
    add_connection_options(status)
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(run=run_status)


def run_status(args: argparse.Namespace) -> int:
    found = projector_status(open_services(args))
    if args.json:
        print(json.dumps(found))
        return 0
    print(f"Checkpoint: {found['checkpoint']}  head: {found['head']}  lag: {found['lag']} events")
    for family, state in found["families"].items():
        print(f"  {family:<12} generation {state['generation']}, at {state['checkpoint']}")
    print(f"Projecting now: {'yes' if found['projecting'] else 'no'}")
    if found["last_batch_at"]:
        print(f"Last batch: {found['last_batch_events']} events at {found['last_batch_at']}")
    if found["last_error"]:
        print(f"Last error: {found['last_error']} at {found['last_error_at']}")
    else:
        print("Last error: none")
    return 0
