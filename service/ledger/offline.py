"""Checking the log against a signed checkpoint offline, from files alone.

A checkpoint is signed by the log's key and names a tree size N and a root. Two checks
hold the log to it without any access to the service:

- an export: the RFC 9162 root of its first N events' leaves (leaf data: each event's
  32-byte chain ``hash``) must be the checkpoint's root, so a later export checks against
  an earlier checkpoint. A root cannot say which leaf differs; an earlier export that
  itself matches the checkpoint can, leaf by leaf, so given one the first differing
  position is named exactly, and never guessed without one;
- one event: its chain hash is recomputed from its fields (and its stream predecessor's
  hash, which the hash chains to), so the leaf binds the whole event, and its audit path
  must lead to the checkpoint's root.

Both read only files and use the pure domain: nothing here talks to Redis.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from service.ledger.domain import merkle
from service.ledger.domain.chain import GENESIS, RecordedEvent, event_hash
from service.ledger.domain.checkpoint import Checkpoint, parse_checkpoint
from service.ledger.domain.note import NoteError, Verifier, open_note
from service.ledger.exporting import read_export


class Unverified(Exception):
    """A file that is missing, malformed, or does not check out; the message says which."""


def verifier_key(value: str) -> str:
    """The verifier key itself, or the contents of the file that holds it."""
    path = Path(value)
    if "+" not in value or path.is_file():
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise Unverified(
                f"{value} is neither a verifier key nor a readable file: {error}"
            ) from None
    return value.strip()


def open_checkpoint(path: Path, vkey: str) -> Checkpoint:
    """The checkpoint in ``path``, once the key's signature on it verifies."""
    try:
        note = path.read_text(encoding="utf-8")
    except OSError as error:
        raise Unverified(f"cannot read the checkpoint {path}: {error}") from None
    try:
        return parse_checkpoint(open_note(note, [Verifier.from_vkey(vkey)]).text)
    except NoteError as error:
        raise Unverified(f"the checkpoint {path} does not verify: {error}") from None


def tree_root(leaves: Iterable[bytes]) -> tuple[int, bytes]:
    """The number of leaf hashes and MTH over them, keeping only the O(log n) complete
    subtrees on the right edge: an export of any length is read once, in order."""
    frontier: list[tuple[int, bytes]] = []  # (level, hash), largest subtree first
    count = 0
    for leaf in leaves:
        level, value = 0, leaf
        while frontier and frontier[-1][0] == level:
            value = merkle.node_hash(frontier.pop()[1], value)
            level += 1
        frontier.append((level, value))
        count += 1
    if not frontier:
        return 0, merkle.EMPTY_ROOT
    root = frontier[-1][1]
    for _, value in reversed(frontier[:-1]):
        root = merkle.node_hash(value, root)
    return count, root


def leaves(path: Path, size: int) -> list[bytes]:
    """The leaf hashes of the first ``size`` events of an export."""
    found: list[bytes] = []
    for event in read_export(path):
        if len(found) == size:
            break
        try:
            found.append(merkle.leaf_hash(bytes.fromhex(event.hash)))
        except ValueError:
            raise Unverified(f"{path}: position {event.position} has no SHA-256 hash") from None
    return found


@dataclass(frozen=True)
class Anchoring:
    """How an export stands against a checkpoint."""

    origin: str
    size: int
    matches: bool
    reason: str | None = None
    first_different_position: int | None = None  # known only from an earlier export

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "size": self.size,
            "matches": self.matches,
            "first_different_position": self.first_different_position,
            "reason": self.reason,
        }


def anchor_export(path: Path, checkpoint: Checkpoint, earlier: Path | None = None) -> Anchoring:
    """Whether the export's first ``checkpoint.size`` events have the checkpoint's root;
    with ``earlier``, an export that must match the checkpoint, the first position at
    which the two differ."""
    trusted = leaves(earlier, checkpoint.size) if earlier else []
    if earlier and tree_root(trusted) != (checkpoint.size, checkpoint.root):
        raise Unverified(
            f"the earlier export {earlier} does not match the checkpoint, so it cannot "
            "say where another export differs from what the checkpoint signed"
        )
    held = leaves(path, checkpoint.size)
    size, root = tree_root(held)
    if size < checkpoint.size:
        return Anchoring(
            checkpoint.origin,
            checkpoint.size,
            False,
            f"the export holds {size} events; the checkpoint commits to {checkpoint.size}",
            size + 1,
        )
    if root == checkpoint.root:
        return Anchoring(checkpoint.origin, checkpoint.size, True)
    reason = (
        f"the export's first {checkpoint.size} events do not have the checkpoint's root: "
        "events the log had signed for were changed, removed or reordered"
    )
    if earlier is None:
        return Anchoring(
            checkpoint.origin,
            checkpoint.size,
            False,
            reason + " (give --earlier, an export that matches this checkpoint, to name "
            "the first position that differs)",
        )
    first = next(i for i, (a, b) in enumerate(zip(held, trusted, strict=True), 1) if a != b)
    return Anchoring(
        checkpoint.origin,
        checkpoint.size,
        False,
        f"{reason}; the first is position {first}",
        first,
    )


RECORD_FIELDS = frozenset(field.name for field in fields(RecordedEvent))


# --- one event ---------------------------------------------------------------------------


def read_events(path: Path) -> list[RecordedEvent]:
    """Events from a file as the API or an export gives them: one event, a page of
    ``GET /…/events`` (``{"events": […]}``), or JSON Lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise Unverified(f"cannot read {path}: {error}") from None
    try:
        try:
            data: Any = json.loads(text)
            items = data["events"] if isinstance(data, dict) and "events" in data else [data]
        except json.JSONDecodeError:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        # Links the API adds beside the record (inclusion_proof) are not part of it.
        return [
            RecordedEvent.from_dict({k: v for k, v in item.items() if k in RECORD_FIELDS})
            for item in items
        ]
    except (ValueError, TypeError, AttributeError) as error:
        raise Unverified(f"{path} does not hold events as the API returns them: {error}") from None


def chosen(events: list[RecordedEvent], position: int | None) -> RecordedEvent:
    if not events:
        raise Unverified("the event file holds no event")
    if position is None:
        return events[-1]
    for event in events:
        if event.position == position:
            return event
    raise Unverified(f"the event file holds no event at position {position}")


def recomputed_hash(event: RecordedEvent, events: list[RecordedEvent]) -> str:
    """The event's chain hash from its fields: the hash covers its stream predecessor's
    hash too, so version > 1 needs the predecessor in the same file."""
    if event.version == 1:
        previous = GENESIS
    else:
        before = [e for e in events if e.stream == event.stream and e.version == event.version - 1]
        if not before:
            raise Unverified(
                f"the event is version {event.version} of {event.stream}; its hash chains to "
                f"version {event.version - 1}, which the event file must hold too "
                f"(ask for ?after={event.version - 2}&limit=2)"
            )
        previous = before[0].hash
    computed = event_hash(previous, event.body())
    if computed != event.hash:
        raise Unverified(
            f"the event's fields do not hash to its hash {event.hash}: the event was altered"
        )
    return computed


def _b64(value: Any, what: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except binascii.Error:
        raise Unverified(f"the proof's {what} is not base64") from None


def prove(event: RecordedEvent, chain: str, proof: dict[str, Any], checkpoint: Checkpoint) -> None:
    """Raise Unverified unless ``proof`` (a ``GET /proofs/inclusion`` answer) shows the
    event whose chain hash is ``chain`` at its position in the checkpoint's tree."""
    try:
        position, size, path = int(proof["position"]), int(proof["size"]), proof["hashes"]
    except (KeyError, TypeError, ValueError):
        raise Unverified("the proof file is not a GET /proofs/inclusion answer") from None
    if event.position > checkpoint.size:
        raise Unverified(
            f"the event at position {event.position} is newer than the checkpoint of "
            f"{checkpoint.size} events: use a later checkpoint"
        )
    if size != checkpoint.size:
        raise Unverified(
            f"the proof is for a tree of {size} events, the checkpoint is of "
            f"{checkpoint.size}: ask for /proofs/inclusion?position={event.position}"
            f"&size={checkpoint.size}"
        )
    if position != event.position:
        raise Unverified(f"the proof is for position {position}, the event is at {event.position}")
    leaf = merkle.leaf_hash(bytes.fromhex(chain))
    if "leaf_hash" in proof and _b64(proof["leaf_hash"], "leaf hash") != leaf:
        raise Unverified(f"the proof is for another event at position {position} than this one")
    hashes = [_b64(h, "audit path") for h in path]
    if not merkle.verify_inclusion(position - 1, size, leaf, hashes, checkpoint.root):
        raise Unverified(
            f"the audit path of position {position} does not lead to the checkpoint's root: "
            "the event is not in the log the checkpoint signed"
        )
