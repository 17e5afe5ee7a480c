"""The witness's decision on an add-checkpoint request (c2sp.org/tlog-witness), pure.

    POST <prefix>/add-checkpoint
    old <size>\\n  <consistency proof lines, base64>  \\n  <signed checkpoint note>

Every check the specification lists, in its order and with its status codes: 400 for a
malformed request or an old size above the new one, 404 for an unknown origin, 403 when
no trusted signature verifies, 409 (with the size the witness holds) when the old size
is not the witness's latest, 422 when the proof or the roots show the log forked. Only a
request that passes all of them is cosigned, and the witness records it as the latest.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from service.ledger.domain import merkle
from service.ledger.domain.checkpoint import Checkpoint, parse_checkpoint
from service.ledger.domain.note import Note, NoteError, Verifier, open_note

MAX_PROOF_LINES = 63


@dataclass(frozen=True)
class Request:
    old_size: int
    proof: list[bytes]
    note: str


@dataclass(frozen=True)
class Latest:
    size: int
    root: bytes


class Refused(Exception):
    """An answer other than a cosignature; ``evidence`` when it shows log misbehaviour."""

    def __init__(self, status: int, message: str, *, evidence: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.evidence = evidence


class Conflict(Refused):
    """The old size is not the latest the witness cosigned: tell the log which it is."""

    def __init__(self, latest_size: int) -> None:
        super().__init__(409, f"{latest_size}\n")
        self.latest_size = latest_size


def parse_request(body: str) -> Request:
    head, separator, note = body.partition("\n\n")
    if not separator:
        raise Refused(400, "the body is an old size line, proof lines, a blank line, a note")
    lines = head.split("\n")
    old = lines[0]
    if not old.startswith("old ") or not _decimal(old[4:]):
        raise Refused(400, "the first line must be 'old <size>'")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise Refused(400, f"at most {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for line in lines[1:]:
        try:
            hashed = base64.b64decode(line, validate=True)
        except binascii.Error:
            raise Refused(400, "a consistency proof line is not base64") from None
        if len(hashed) != 32:
            raise Refused(400, "a consistency proof line is not a SHA-256 hash")
        proof.append(hashed)
    return Request(int(old[4:]), proof, note)


def _decimal(text: str) -> bool:
    return text.isascii() and text.isdigit() and (text == "0" or not text.startswith("0"))


def checked(request: Request, logs: dict[str, Verifier]) -> tuple[Note, Checkpoint]:
    """The checks that need no state: a well-formed note from a known log, signed."""
    try:
        origin = request.note.split("\n", 1)[0]
    except IndexError:
        raise Refused(400, "no checkpoint") from None
    if origin not in logs:
        raise Refused(404, f"unknown log {origin!r}")
    try:
        note = open_note(request.note, [logs[origin]])
    except NoteError as error:
        status = 400 if "signature" not in str(error) else 403
        raise Refused(status, str(error)) from None
    try:
        checkpoint = parse_checkpoint(note.text)
    except NoteError as error:
        raise Refused(400, str(error)) from None
    if checkpoint.origin != origin:
        raise Refused(400, "the checkpoint's origin line is not its first line")
    if request.old_size > checkpoint.size:
        raise Refused(400, "the old size is above the checkpoint's size")
    return note, checkpoint


def consistent(request: Request, checkpoint: Checkpoint, latest: Latest | None) -> None:
    """The checks against the witness's latest cosigned checkpoint for this log."""
    held = latest.size if latest else 0
    if request.old_size != held:
        raise Conflict(held)
    if checkpoint.size == 0 and checkpoint.root != merkle.EMPTY_ROOT:
        raise Refused(422, "a checkpoint of size 0 must have the empty tree's root")
    if request.old_size == 0:
        if request.proof:
            raise Refused(422, "no consistency proof is needed from size 0")
        return
    assert latest is not None
    if request.old_size == checkpoint.size:
        if checkpoint.root != latest.root or request.proof:
            raise Refused(422, "the root differs from the one cosigned at this size", evidence=True)
        return
    if not merkle.verify_consistency(
        latest.size, checkpoint.size, latest.root, checkpoint.root, request.proof
    ):
        raise Refused(
            422,
            f"the checkpoint of size {checkpoint.size} is not consistent with the one of "
            f"size {latest.size} this witness cosigned",
            evidence=True,
        )
