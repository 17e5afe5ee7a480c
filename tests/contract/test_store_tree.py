"""The Merkle tree the store keeps over the sealed log: its roots and proofs are those of
RFC 9162 over the events' chain hashes, whatever the order of growing, however many
processes grow it, and it never covers what is not sealed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from service.ledger.domain import merkle
from service.ledger.domain.chain import Actor
from service.ledger.eventstore import EventStore
from service.ledger.keys import Keys
from service.ledger.tree import leaf_of
from service.runtime.clock import FrozenClock
from service.tracking.domain import events as ev
from tests.contract.conftest import Backend

ACTOR = Actor(token_id="t", role="reporter", agency="A")


def append(store: EventStore, count: int, stream: str = "milestone-a") -> None:
    version = store.stream_version(stream)
    for offset in range(count):
        store.append(
            stream,
            [ev.CommentAdded(f"{version + offset}")],
            expected_version=version + offset,
            actor=ACTOR,
        )


def leaves(store: EventStore) -> list[bytes]:
    return [leaf_of(event.hash) for event in store.read_log(0, 100_000)]


def reference(hashes: list[bytes]) -> merkle.Nodes:
    made = merkle.grown(0, lambda level, index: b"", hashes)
    return lambda level, index: made[(level, index)]


def test_roots_and_proofs_are_rfc_9162_over_the_event_hashes(store: EventStore) -> None:
    append(store, 13)
    assert store.tree.grow_all() == 0  # nothing is sealed yet: the tree waits for the sealer
    store.sealer.seal_all()
    assert store.tree.grow_all() == 13 and store.tree.size() == 13
    hashes = leaves(store)
    ref = reference(hashes)
    for size in range(1, 14):
        assert store.tree.root(size) == merkle.root(size, ref)
    proof = store.tree.inclusion(5, 13)
    assert proof.leaf_hash == hashes[4] and proof.root == merkle.root(13, ref)
    assert merkle.verify_inclusion(4, 13, proof.leaf_hash, proof.hashes, proof.root)
    consistency = store.tree.consistency(6, 13)
    assert merkle.verify_consistency(
        6, 13, consistency.old_root, consistency.new_root, consistency.hashes
    )
    assert consistency.hashes == merkle.consistency_proof(6, 13, ref)


def test_growing_in_steps_equals_growing_at_once(backend: Backend, clock: FrozenClock) -> None:
    first = EventStore(backend.connect(), clock, Keys("one"))
    second = EventStore(backend.connect(), clock, Keys("two"))
    for store in (first, second):
        append(store, 37)
        store.sealer.seal_all()
    while first.tree.grow(batch=5):
        pass
    second.tree.grow_all()
    for size in (1, 5, 16, 37):
        assert first.tree.root(size) == merkle.root(size, reference(leaves(first)))
    assert second.tree.root(37) == merkle.root(37, reference(leaves(second)))


def test_growers_racing_store_one_tree(backend: Backend, clock: FrozenClock) -> None:
    store = EventStore(backend.connect(), clock, Keys("rt"))
    append(store, 60)
    store.sealer.seal_all()

    def grow(_: int) -> int:
        tree = EventStore(backend.connect(), clock, Keys("rt")).tree
        added = 0
        while tree.size() < 60:
            added += tree.grow(batch=7) or 0  # None: another grower was first
        return added

    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(grow, range(4))) == 60
    assert store.tree.size() == 60
    assert store.tree.root(60) == merkle.root(60, reference(leaves(store)))


def test_sizes_beyond_the_tree_are_refused(store: EventStore) -> None:
    append(store, 4)
    store.sealer.seal_all()
    store.tree.grow_all()
    with pytest.raises(merkle.ProofError, match="not a tree size"):
        store.tree.inclusion(1, 5)
    with pytest.raises(merkle.ProofError, match="position 0"):
        store.tree.inclusion(0, 4)
    with pytest.raises(merkle.ProofError, match="from 3 must be"):
        store.tree.consistency(3, 2)
    with pytest.raises(merkle.ProofError, match="not a tree size"):
        store.tree.root(5)
