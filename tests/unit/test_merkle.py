"""The Merkle tree follows RFC 9162 §2.1, checked three independent ways:

- the published Certificate Transparency test vectors (transparency-dev/merkle's
  testonly/constants.go: the eight leaves, their roots, audit paths and consistency proofs);
- pymerkle 7, a maintained implementation, for roots of every size;
- a second implementation below, written straight from the RFC's definitions over lists,
  against which hypothesis compares every root, path and proof.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from service.ledger.domain import merkle as mk

LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes.fromhex("5051525354555657"),
    bytes.fromhex("606162636465666768696a6b6c6d6e6f"),
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
PATHS = [  # (leaf index, tree size, audit path)
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


def stored(leaves: list[bytes]) -> mk.Nodes:
    """The complete subtrees of a tree of ``leaves`` (data), grown in one step."""
    made = mk.grown(0, _nothing, [mk.leaf_hash(leaf) for leaf in leaves])
    return lambda level, index: made[(level, index)]


def _nothing(level: int, index: int) -> bytes:
    raise AssertionError(f"an empty tree has no node {(level, index)}")


# --- RFC 9162 §2.1, transcribed over lists: the reference -------------------------------


def ref_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


# --- the published vectors --------------------------------------------------------------


def test_roots_of_the_published_vectors() -> None:
    nodes = stored(LEAVES)
    assert [mk.root(n, nodes).hex() for n in range(1, 9)] == ROOTS
    assert mk.root(0, nodes) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize(("index", "size", "path"), PATHS)
def test_audit_paths_of_the_published_vectors(index: int, size: int, path: list[str]) -> None:
    nodes = stored(LEAVES)
    proof = mk.inclusion_proof(index, size, nodes)
    assert [h.hex() for h in proof] == path
    leaf = mk.leaf_hash(LEAVES[index])
    assert mk.verify_inclusion(index, size, leaf, proof, bytes.fromhex(ROOTS[size - 1]))


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_of_the_published_vectors(old: int, new: int, proof: list[str]) -> None:
    nodes = stored(LEAVES)
    made = mk.consistency_proof(old, new, nodes)
    assert [h.hex() for h in made] == proof
    roots = [bytes.fromhex(r) for r in ROOTS]
    assert mk.verify_consistency(old, new, roots[old - 1], roots[new - 1], made)


def test_roots_agree_with_pymerkle() -> None:
    data = [f"event {i}".encode() for i in range(70)]
    theirs = InmemoryTree(algorithm="sha256")
    for item in data:
        theirs.append_entry(item)
    nodes = stored(data)
    for size in range(1, 71):
        assert mk.root(size, nodes) == theirs.get_root(size), size


# --- against the reference, for any size -------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.data())
def test_roots_paths_and_proofs_equal_the_rfc_definitions(size: int, data: st.DataObject) -> None:
    leaves = [f"leaf {i}".encode() for i in range(size)]
    nodes = stored(leaves)
    assert mk.root(size, nodes) == ref_mth(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    old = data.draw(st.integers(min_value=1, max_value=size))
    path = mk.inclusion_proof(index, size, nodes)
    assert path == ref_path(index, leaves)
    assert mk.verify_inclusion(index, size, mk.leaf_hash(leaves[index]), path, ref_mth(leaves))
    proof = mk.consistency_proof(old, size, nodes)
    assert proof == ref_subproof(old, leaves, True)
    assert mk.verify_consistency(old, size, ref_mth(leaves[:old]), ref_mth(leaves), proof)
    assert len(path) <= max(1, (size - 1).bit_length()) and all(len(h) == 32 for h in path)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=12))
def test_growing_in_any_steps_stores_the_same_tree(steps: list[int]) -> None:
    leaves = [mk.leaf_hash(f"leaf {i}".encode()) for i in range(sum(steps))]
    made: dict[mk.Node, bytes] = {}
    size = 0
    for step in steps:
        assert set(mk.frontier_nodes(size)) <= set(made) | set()
        made.update(mk.grown(size, lambda lv, ix: made[(lv, ix)], leaves[size : size + step]))
        size += step
    assert made == mk.grown(0, _nothing, leaves)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=2, max_value=40), st.data())
def test_a_tampered_proof_or_root_does_not_verify(size: int, data: st.DataObject) -> None:
    leaves = [f"leaf {i}".encode() for i in range(size)]
    nodes = stored(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    old = data.draw(st.integers(min_value=1, max_value=size - 1))
    root = mk.root(size, nodes)
    path = mk.inclusion_proof(index, size, nodes)
    proof = mk.consistency_proof(old, size, nodes)
    leaf = mk.leaf_hash(leaves[index])
    flip = data.draw(st.integers(min_value=0, max_value=31))

    def flipped(hashes: list[bytes], at: int) -> list[bytes]:
        changed = bytearray(hashes[at])
        changed[flip] ^= 1
        return [*hashes[:at], bytes(changed), *hashes[at + 1 :]]

    if path:
        at = data.draw(st.integers(min_value=0, max_value=len(path) - 1))
        assert not mk.verify_inclusion(index, size, leaf, flipped(path, at), root)
    assert not mk.verify_inclusion(index, size, leaf, path, flipped([root], 0)[0])
    if proof:
        at = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        assert not mk.verify_consistency(old, size, mk.root(old, nodes), root, flipped(proof, at))
    assert not mk.verify_consistency(old, size, flipped([mk.root(old, nodes)], 0)[0], root, proof)


def test_proofs_outside_the_tree_are_refused() -> None:
    nodes = stored(LEAVES)
    with pytest.raises(mk.ProofError):
        mk.inclusion_proof(8, 8, nodes)
    with pytest.raises(mk.ProofError):
        mk.consistency_proof(0, 8, nodes)
    with pytest.raises(mk.ProofError):
        mk.consistency_proof(5, 4, nodes)


def test_needed_names_only_the_stored_nodes_a_proof_reads() -> None:
    names = mk.needed(lambda nodes: mk.inclusion_proof(5, 8, nodes))
    assert names == [(0, 4), (1, 3), (2, 0)]
    assert len(mk.needed(lambda nodes: mk.root(1_000_000, nodes))) <= 20
