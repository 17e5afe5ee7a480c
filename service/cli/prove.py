"""`reform-tracker prove`: check offline that one event is in the log a signed checkpoint
commits to, from three small files: the event (as the API or an export gives it), its
inclusion proof (GET /proofs/inclusion) and the checkpoint (GET /checkpoint).

The event's chain hash is recomputed from its fields, so the check covers the whole
event — its type, time, actor and payload — not just an identifier the service chose.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from service.cli.base import CliError
from service.ledger.offline import (
    Unverified,
    chosen,
    open_checkpoint,
    prove,
    read_events,
    recomputed_hash,
    verifier_key,
)


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--event",
        type=Path,
        required=True,
        help="the event: one event, a GET /…/events page, or export lines; an event "
        "past version 1 needs its stream predecessor in the same file",
    )
    parser.add_argument(
        "--position",
        type=int,
        help="which event of the file to prove (default: the last one)",
    )
    parser.add_argument(
        "--proof",
        type=Path,
        required=True,
        help="GET /proofs/inclusion?position=P&size=N, N the checkpoint's size",
    )
    parser.add_argument(
        "--checkpoint", type=Path, required=True, help="the signed checkpoint (GET /checkpoint)"
    )
    parser.add_argument("--key", required=True, help="the log's verifier key, or a file holding it")


def run(args: argparse.Namespace) -> int:
    try:
        events = read_events(args.event)
        event = chosen(events, args.position)
        checkpoint = open_checkpoint(args.checkpoint, verifier_key(args.key))
        prove(event, recomputed_hash(event, events), _proof(args.proof), checkpoint)
    except Unverified as error:
        raise CliError(f"NOT PROVEN: {error}", exit_code=1) from None
    print(
        f"OK: event {event.id} ({event.type}, {event.stream} version {event.version}, "
        f"recorded {event.recorded_at}) is at position {event.position} of the "
        f"{checkpoint.size} events {checkpoint.origin} signed."
    )
    return 0


def _proof(path: Path) -> dict[str, Any]:
    try:
        proof = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise Unverified(f"cannot read the proof {path}: {error}") from None
    if not isinstance(proof, dict):
        raise Unverified("the proof file is not a GET /proofs/inclusion answer")
    return proof
