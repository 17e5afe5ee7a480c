"""The Merkle tree over the sealed global log, kept in Redis (RFC 9162 §2.1).

The tree grows after the sealer, over sealed positions only, so it never covers a gap
(the sealer stops at one and ``verify`` reports it). Each run reads the events after the
tree's size, computes the complete subtrees they complete (service/ledger/domain/merkle.py)
and stores them with a script that compares-and-sets the size: any number of processes
may grow it at once and the stored tree can never fork. Nodes live in one hash under the
log's hash tag, field ``"<level>:<index>"``, so a root or a proof at any size is one
HMGET of O(log n) fields: nothing ever reads the whole log to answer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson
import redis

from service.ledger.appends import _entry_number, _field, _parse_head, _text
from service.ledger.domain import merkle
from service.ledger.keys import SEALED_HEAD, Keys

SCRIPT = resources.files("service.ledger").joinpath("tree.lua").read_text()
# Leaves per run: about two stored nodes each, and Lua's unpack() takes at most ~8000.
BATCH = 1000
RACES = 100


@dataclass(frozen=True)
class InclusionProof:
    position: int
    size: int
    leaf_hash: bytes
    hashes: list[bytes]
    root: bytes


@dataclass(frozen=True)
class ConsistencyProof:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    hashes: list[bytes]


def _field_name(level: int, index: int) -> str:
    return f"{level}:{index}"


def leaf_of(event_hash: str) -> bytes:
    """The leaf hash of an event: its 32-byte chain hash is the leaf data."""
    return merkle.leaf_hash(bytes.fromhex(event_hash))


class MerkleTree:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys
        self._script = client.register_script(SCRIPT)

    # --- growing -------------------------------------------------------------------

    def size(self) -> int:
        return int(_text(self.redis.hget(self.keys.tree, "size")) or 0)

    def grow(self, batch: int = BATCH) -> int | None:
        """Add up to ``batch`` sealed events; how many, or None if another process was first."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(self.keys.tree, "size")
        pipe.hget(self.keys.heads, SEALED_HEAD)
        raw_size, raw_sealed = pipe.execute()
        size = int(_text(raw_size) or 0)
        sealed = _parse_head(_text(raw_sealed))[0]
        if sealed <= size:
            return 0
        last = min(sealed, size + batch)
        entries = self.redis.xrange(self.keys.log, min=f"({size}-0", max=f"{last}-0")
        leaves: list[bytes] = []
        for entry_id, fields in entries or []:
            if _entry_number(entry_id) != size + len(leaves) + 1:
                break  # sealed positions have no gaps; a deleted entry shows in verify
            leaves.append(leaf_of(orjson.loads(_field(fields, "e"))["hash"]))
        if not leaves:
            return 0
        frontier = self._nodes(merkle.frontier_nodes(size))
        made = merkle.grown(size, lambda level, index: frontier[(level, index)], leaves)
        pairs: list[Any] = []
        for (level, index), value in made.items():
            pairs += [_field_name(level, index), value.hex()]
        won = self._script(keys=[self.keys.tree], args=[str(size), size + len(leaves), *pairs])
        return len(leaves) if won else None

    def grow_all(self) -> int:
        """Grow the tree up to the sealed head as it is now; the number of leaves added."""
        added, races = 0, 0
        while races < RACES:
            count = self.grow()
            if count is None:
                races += 1
                continue
            added += count
            if count == 0:
                return added
        return added

    # --- answering -----------------------------------------------------------------

    def _nodes(self, wanted: list[merkle.Node]) -> dict[merkle.Node, bytes]:
        if not wanted:
            return {}
        raw = self.redis.hmget(self.keys.tree, [_field_name(*node) for node in wanted])
        missing = [node for node, value in zip(wanted, raw, strict=True) if value is None]
        if missing:
            raise merkle.ProofError(f"the stored tree lacks node {missing[0]}")
        return {
            node: bytes.fromhex(_text(value) or "") for node, value in zip(wanted, raw, strict=True)
        }

    def _answer(self, compute: Any) -> Any:
        """Run ``compute(nodes)`` on the stored nodes it needs, fetched in one HMGET."""
        nodes = self._nodes(merkle.needed(compute))
        return compute(lambda level, index: nodes[(level, index)])

    def _check_size(self, size: int, name: str) -> None:
        grown = self.size()
        if grown == 0:
            raise merkle.ProofError("the tree is empty: no event is sealed yet", name)
        if not 1 <= size <= grown:
            raise merkle.ProofError(
                f"{name} {size} is not a tree size: the tree holds 1 to {grown} events", name
            )

    def root(self, size: int) -> bytes:
        self._check_size(size, "size")
        return self._answer(lambda nodes: merkle.root(size, nodes))

    def inclusion(self, position: int, size: int) -> InclusionProof:
        """The proof that the event at global ``position`` is in the tree of ``size``."""
        self._check_size(size, "size")
        if not 1 <= position <= size:
            raise merkle.ProofError(
                f"position {position} is not in a tree of {size} events", "position"
            )

        def compute(nodes: merkle.Nodes) -> InclusionProof:
            return InclusionProof(
                position=position,
                size=size,
                leaf_hash=nodes(0, position - 1),
                hashes=merkle.inclusion_proof(position - 1, size, nodes),
                root=merkle.root(size, nodes),
            )

        proof: InclusionProof = self._answer(compute)
        return proof

    def consistency(self, old_size: int, new_size: int) -> ConsistencyProof:
        """The proof that the tree of ``old_size`` is a prefix of the tree of ``new_size``."""
        self._check_size(new_size, "to")
        if not 1 <= old_size <= new_size:
            raise merkle.ProofError(f"from {old_size} must be 1 to {new_size} (to)", "from")

        def compute(nodes: merkle.Nodes) -> ConsistencyProof:
            return ConsistencyProof(
                old_size=old_size,
                new_size=new_size,
                old_root=merkle.root(old_size, nodes),
                new_root=merkle.root(new_size, nodes),
                hashes=merkle.consistency_proof(old_size, new_size, nodes),
            )

        proof: ConsistencyProof = self._answer(compute)
        return proof
