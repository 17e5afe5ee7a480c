"""The Merkle tree over the global log, as RFC 9162 §2.1 defines it.

    leaf hash  = SHA-256(0x00 || leaf data)
    node hash  = SHA-256(0x01 || left || right)
    MTH(D[n])  = H(MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two below n

The leaf data of the event at global position p (leaf index p - 1) is the 32 bytes of its
chain ``hash``: the SHA-256 of its canonical encoding and of its stream predecessor's hash
(service/ledger/domain/chain.py). So a leaf binds the whole event, and anyone holding the
event recomputes it.

Pure: no I/O. Whoever stores the tree keeps the hashes of complete subtrees, node
``(level, index)`` covering leaves ``[index * 2**level, (index + 1) * 2**level)``; every
root and proof here is computed from those, O(log n) of them each. ``needed`` names them
before they are read, so a store fetches them in one round trip.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

Node = tuple[int, int]  # (level, index)
Nodes = Callable[[int, int], bytes]  # the hash of complete subtree (level, index)

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """The sizes or positions asked for do not describe a proof in this tree; ``field``
    names the argument at fault when the caller gave it a name."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(start: int, end: int, nodes: Nodes) -> bytes:
    """MTH(D[start:end]) from the stored complete subtrees."""
    size = end - start
    if size <= 0:
        return EMPTY_ROOT
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return nodes(level, start >> level)
    k = _split(size)
    return node_hash(subtree_hash(start, start + k, nodes), subtree_hash(start + k, end, nodes))


def root(size: int, nodes: Nodes) -> bytes:
    return subtree_hash(0, size, nodes)


def inclusion_proof(index: int, size: int, nodes: Nodes) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n]): the audit path of leaf ``index`` in a tree of
    ``size`` leaves, from the leaf's sibling up."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    return _path(index, 0, size, nodes)


def _path(m: int, start: int, end: int, nodes: Nodes) -> list[bytes]:
    n = end - start
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(m, start, start + k, nodes), subtree_hash(start + k, end, nodes)]
    return [*_path(m - k, start + k, end, nodes), subtree_hash(start, start + k, nodes)]


def consistency_proof(old_size: int, new_size: int, nodes: Nodes) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(m, D[n]): what proves the tree of ``old_size`` leaves is a
    prefix of the tree of ``new_size`` leaves."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"no consistency proof from {old_size} to {new_size}")
    return _subproof(old_size, 0, new_size, True, nodes)


def _subproof(m: int, start: int, end: int, whole: bool, nodes: Nodes) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [subtree_hash(start, end, nodes)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, start, start + k, whole, nodes), subtree_hash(start + k, end, nodes)]
    return [*_subproof(m - k, start + k, end, False, nodes), subtree_hash(start, start + k, nodes)]


def needed(compute: Callable[[Nodes], object]) -> list[Node]:
    """The stored nodes ``compute`` reads, in order, without their values: which nodes a
    root or proof needs depends only on the sizes, never on the hashes."""
    seen: list[Node] = []

    def record(level: int, index: int) -> bytes:
        seen.append((level, index))
        return bytes(32)

    compute(record)
    return list(dict.fromkeys(seen))


def grown(size: int, frontier: Nodes, leaves: Sequence[bytes]) -> dict[Node, bytes]:
    """The complete subtrees that appending ``leaves`` (leaf hashes) to a tree of ``size``
    leaves completes, including the leaves themselves. ``frontier`` answers for the
    complete subtrees on the old tree's right edge (``frontier_nodes(size)``)."""
    made: dict[Node, bytes] = {}

    def node(level: int, index: int) -> bytes:
        return made[(level, index)] if (level, index) in made else frontier(level, index)

    for offset, leaf in enumerate(leaves):
        index, level, value = size + offset, 0, leaf
        made[(0, index)] = value
        while index & 1:
            value = node_hash(node(level, index - 1), value)
            index, level = index >> 1, level + 1
            made[(level, index)] = value
    return made


def frontier_nodes(size: int) -> list[Node]:
    """The complete subtrees on the right edge of a tree of ``size`` leaves: one per set
    bit of ``size``, all that growing it needs."""
    return [(level, (size >> level) - 1) for level in range(size.bit_length()) if size >> level & 1]


# --- verification, RFC 9162 §2.1.3.2 and §2.1.4.2 ---------------------------------------


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Iterable[bytes], expected_root: bytes
) -> bool:
    """True when ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree of ``size``
    leaves whose root is ``expected_root``."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == expected_root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when ``proof`` shows the tree of ``old_size`` leaves with root ``old_root`` is
    a prefix of the tree of ``new_size`` leaves with root ``new_root``."""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root starts the path
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0
