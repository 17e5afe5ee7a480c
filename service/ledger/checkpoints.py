"""Signed checkpoints of the Merkle tree (C2SP tlog-checkpoint), issued and kept.

A checkpoint commits the log to a tree head under its Ed25519 key. Before it signs a
new one, the log proves the new tree consistent with the last checkpoint it signed,
from the tree as stored now: if the stored history was rewritten, the proof fails and
nothing is signed (``Conflict``), so the log itself never signs a fork. A script stores
the note keyed by tree size and refuses a second, different root for a size that
already has one. Every checkpoint ever issued is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

import redis

from service.ledger.appends import _text
from service.ledger.domain import merkle
from service.ledger.domain.checkpoint import Checkpoint, Conflict, parse_checkpoint
from service.ledger.domain.note import Signature, Signer, parse
from service.ledger.keys import Keys
from service.ledger.tree import MerkleTree
from service.runtime.connection import owner, rerouted

SCRIPT = resources.files("service.ledger").joinpath("checkpoint.lua").read_text()
log = logging.getLogger("reform_tracker.checkpoints")


@dataclass(frozen=True)
class Issued:
    size: int
    root: bytes
    note: str
    issued_at: str


class Checkpoints:
    def __init__(self, client: redis.Redis, keys: Keys, tree: MerkleTree) -> None:
        self.redis = client
        self.keys = keys
        self.tree = tree
        self._script = client.register_script(SCRIPT)

    # --- reading -------------------------------------------------------------------

    def latest(self) -> Issued | None:
        found: list[Any] = self.redis.zrevrange(self.keys.checkpoint_sizes, 0, 0)
        return self.at(int(found[0])) if found else None

    def at(self, size: int) -> Issued | None:
        raw = _text(self.redis.hget(self.keys.checkpoints, str(size)))
        return _issued(raw) if raw else None

    def page(self, before: int | None, limit: int) -> tuple[list[Issued], int | None]:
        """Newest first; the cursor is the smallest size on the page, when there is more."""
        upper = f"({before}" if before else "+inf"
        sizes: list[Any] = self.redis.zrevrangebyscore(
            self.keys.checkpoint_sizes, upper, "-inf", start=0, num=limit + 1
        )
        notes = self.redis.hmget(self.keys.checkpoints, sizes[:limit]) if sizes else []
        found = [_issued(_text(raw) or "") for raw in notes if raw]
        more = len(sizes) > limit
        return found, (found[-1].size if more and found else None)

    def verifier_key(self) -> str | None:
        return _text(self.redis.get(self.keys.checkpoint_vkey))

    def add_signatures(self, size: int, signatures: list[Signature]) -> None:
        """Add cosignatures to the stored checkpoint of ``size`` (verified by the caller)."""
        with (
            rerouted(self.redis),
            owner(self.redis, self.keys.checkpoints).pipeline(transaction=True) as pipe,
        ):
            while True:
                try:
                    pipe.watch(self.keys.checkpoints)
                    raw = _text(pipe.hget(self.keys.checkpoints, str(size)))
                    if raw is None:
                        return
                    issued_at, note = raw.split("\n", 1)
                    parsed = parse(note)
                    for signature in signatures:
                        parsed = parsed.with_signature(signature)
                    pipe.multi()
                    pipe.hset(self.keys.checkpoints, str(size), f"{issued_at}\n{parsed}")
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue

    # --- issuing -------------------------------------------------------------------

    def due(self, now: datetime, every_events: int, interval_seconds: int) -> bool:
        """Whether a new checkpoint is due: the tree is ahead of the last one by
        ``every_events``, or ahead at all and the last one is ``interval_seconds`` old."""
        size, last = self.tree.size(), self.latest()
        if size == 0 or (last is not None and size <= last.size):
            return False
        if last is None or size - last.size >= every_events:
            return True
        age = now - datetime.fromisoformat(last.issued_at)
        return age.total_seconds() >= interval_seconds

    def issue(self, signer: Signer, now: datetime) -> Issued | None:
        """Sign the tree as it is now, if it grew since the last checkpoint. The origin
        line is the key's name, as the spec recommends."""
        self.redis.set(self.keys.checkpoint_vkey, signer.verifier_key())
        size, last = self.tree.size(), self.latest()
        if size == 0 or (last is not None and size <= last.size):
            return None
        root = self.tree.root(size)
        if last is not None:
            self._check_consistent(last, size, root)
        note = str(signer.sign(Checkpoint(signer.name, size, root).text()))
        stored = f"{now.isoformat()}\n{note}"
        outcome = self._script(
            keys=[self.keys.checkpoints, self.keys.checkpoint_sizes], args=[size, stored]
        )
        if outcome == 0:
            kept = self.at(size)
            if kept is not None and kept.root != root:
                raise Conflict(f"a checkpoint of size {size} with another root exists")
            return kept
        log.info("checkpoint issued", extra={"size": size})
        return Issued(size, root, note, now.isoformat())

    def _check_consistent(self, last: Issued, size: int, root: bytes) -> None:
        proof = self.tree.consistency(last.size, size)
        if proof.old_root != last.root or not merkle.verify_consistency(
            last.size, size, last.root, root, proof.hashes
        ):
            log.error(
                "refusing to sign: the stored tree is not consistent with checkpoint %d",
                last.size,
                extra={"checkpoint_size": last.size, "tree_size": size},
            )
            raise Conflict(
                f"the tree of {size} events is not consistent with the checkpoint of "
                f"{last.size} events this log signed; refusing to sign"
            )


def _issued(stored: str) -> Issued:
    issued_at, note = stored.split("\n", 1)
    checkpoint = parse_checkpoint(parse(note).text)
    return Issued(checkpoint.size, checkpoint.root, note, issued_at)
