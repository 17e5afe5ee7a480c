"""`reform-tracker verify`: walk the hash chains — of the live log, or of an export file
offline with --file — and exit 1 if any event was altered, removed or reordered. With
--checkpoint and --key, an export is also held to a signed checkpoint: its first N events
must have the root the log signed for N, which a recomputed history cannot have. With
--read-models, compare the live read models with a fold of the log instead, and check the
end-of-day snapshots as-of answers start from."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from service.cli.base import CliError, add_connection_options, open_services
from service.dashboards.readmodel_check import check_read_models
from service.dashboards.snapshot_checks import check_snapshots
from service.ledger.domain.chain import VerifyReport
from service.ledger.exporting import BadExport, verify_file
from service.ledger.offline import Anchoring, Unverified, anchor_export, open_checkpoint
from service.ledger.offline import verifier_key as read_verifier_key


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
        "--checkpoint",
        type=Path,
        help="with --file: a signed checkpoint (GET /checkpoint) the export's first N "
        "events must match",
    )
    parser.add_argument(
        "--key",
        help="with --checkpoint: the log's verifier key, or a file holding it "
        "(pin it from a source other than the service)",
    )
    parser.add_argument(
        "--earlier",
        type=Path,
        help="with --checkpoint: an earlier export that matches the checkpoint; on a "
        "mismatch, names the first position at which the two differ",
    )
    parser.add_argument(
        "--read-models",
        action="store_true",
        help="instead, fold the log and compare it with the live read models and their "
        "scope totals, naming the first record that differs (the dashboards show the "
        "outcome), and check every end-of-day snapshot against the log and its digest",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    if args.read_models:
        return _check_read_models(args)
    if args.checkpoint is not None and (args.file is None or not args.key):
        raise CliError("--checkpoint checks an export: give --file and --key too")
    if args.checkpoint is None and (args.key or args.earlier):
        raise CliError("--key and --earlier go with --checkpoint")
    report = _report(args)
    # Only a published head hash can show an intact but shortened log; without one the
    # question is not asked, and a broken log matches nothing.
    matches: bool | None = None
    if args.head_hash:
        matches = report.ok and report.head_hash == args.head_hash
    anchoring = _anchoring(args) if report.ok else None
    if args.json:
        extra = {"checkpoint": anchoring.to_dict()} if anchoring else {}
        print(json.dumps({**report.to_dict(), "matches_head_hash": matches, **extra}))
    elif report.breach is not None:
        print(f"BREACH at {report.breach}")
        print(f"{report.events_checked} events before it check out.")
    elif matches is False:
        print(
            f"MISMATCH: the export ends at hash {report.head_hash}, not the published "
            f"{args.head_hash}: events are missing from its end."
        )
    elif anchoring is not None and not anchoring.matches:
        _say(anchoring)
    else:
        print(f"OK: {report.events_checked} events checked; every chain is intact.")
        if report.sealed_position == report.head_position:
            print(f"Head: position {report.head_position}, hash {report.head_hash}")
        else:  # the worker has not sealed the newest events yet
            print(
                f"Head: position {report.head_position}; sealed up to position "
                f"{report.sealed_position}, hash {report.head_hash}"
            )
        if anchoring is not None:
            _say(anchoring)
    anchored = anchoring is None or anchoring.matches
    return 0 if report.ok and matches is not False and anchored else 1


def _check_read_models(args: argparse.Namespace) -> int:
    if args.file is not None:
        raise CliError("--read-models checks the live service; it takes no --file")
    services = open_services(args)
    check = check_read_models(services)
    snapshots = check_snapshots(services)
    if args.json:
        print(json.dumps({**check.to_dict(), "snapshots": [list(p) for p in snapshots]}))
        return 0 if check.ok and not snapshots else 1
    if check.difference is None:
        at = ", ".join(f"{family} at {p}" for family, p in check.checkpoints.items())
        print(f"OK: every read-model record matches the log folded to its checkpoint ({at}).")
    else:
        print(f"DIFFERS: {check.difference}")
    for day, problem in snapshots:
        print(f"DIFFERS: the end-of-day snapshot of {day}: {problem}")
    if not snapshots:
        print("OK: every end-of-day snapshot matches the log and its digest.")
    return 0 if check.ok and not snapshots else 1


def _anchoring(args: argparse.Namespace) -> Anchoring | None:
    if args.checkpoint is None:
        return None
    try:
        checkpoint = open_checkpoint(args.checkpoint, read_verifier_key(args.key))
        return anchor_export(args.file, checkpoint, args.earlier)
    except (Unverified, BadExport) as error:
        raise CliError(str(error), exit_code=1) from None


def _say(anchoring: Anchoring) -> None:
    if anchoring.matches:
        print(
            f"OK: the first {anchoring.size} events have the root the checkpoint of "
            f"{anchoring.origin} signed."
        )
    elif anchoring.first_different_position is not None:
        print(
            f"MISMATCH at position {anchoring.first_different_position} against the "
            f"checkpoint of {anchoring.size} events: {anchoring.reason}"
        )
    else:
        print(f"MISMATCH against the checkpoint of {anchoring.size} events: {anchoring.reason}")


def _report(args: argparse.Namespace) -> VerifyReport:
    if args.file is None:
        return open_services(args).store.verify()
    if not args.file.is_file():
        raise CliError(f"no such export file: {args.file}")
    try:
        return verify_file(args.file)
    except BadExport as error:
        raise CliError(str(error), exit_code=1) from None
