"""Checkpoints in the C2SP tlog-checkpoint format (c2sp.org/tlog-checkpoint).

    <origin>\\n<tree size in decimal>\\n<base64 root hash>\\n

signed as a C2SP note by the log's key, whose name is the origin. The log never signs
two different roots for one size (``Conflict``): that would be a fork, the one thing a
checkpoint exists to rule out.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from service.ledger.domain.note import NoteError


class Conflict(Exception):
    """A checkpoint for this size with another root was already signed."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint a note text states (extension lines are allowed and ignored)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(line == "" for line in lines[:-1]):
        raise NoteError("a checkpoint is at least three non-empty lines")
    origin, size, root = lines[:3]
    if not size.isdigit() or (size != "0" and size.startswith("0")):
        raise NoteError(f"tree size {size!r} is not a decimal without leading zeroes")
    try:
        raw = base64.b64decode(root, validate=True)
    except binascii.Error:
        raise NoteError("the root hash is not base64") from None
    if len(raw) != 32:
        raise NoteError("the root hash is not 32 bytes")
    return Checkpoint(origin, int(size), raw)
