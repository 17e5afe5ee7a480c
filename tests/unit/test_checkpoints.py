"""Checkpoints on fakeredis through the real bootstrap: signed in the C2SP format as the
tree grows, kept for every size, due by count or age, and never signed over a history
that is not consistent with the last checkpoint."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from service.bootstrap import Services
from service.dashboards.projector import catch_up
from service.ledger.domain import merkle
from service.ledger.domain.checkpoint import Conflict, parse_checkpoint
from service.ledger.domain.note import Verifier, open_note
from service.ledger.signing import KeyExists, checkpoint_if_due, create_key, load_key
from service.runtime.clock import FrozenClock
from tests.alerting import Tracked

ORIGIN = "tracker.example/log"


@pytest.fixture
def signed(services: Services) -> Services:
    create_key(services.config.signing_key_path, ORIGIN)
    return services


def test_the_key_file_is_private_and_never_overwritten(services: Services) -> None:
    path = services.config.signing_key_path
    signer = create_key(path, ORIGIN)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert Path(path).read_text().startswith(f"PRIVATE+KEY+{ORIGIN}+")
    with pytest.raises(KeyExists):
        create_key(path, ORIGIN)
    loaded = load_key(path)
    assert loaded is not None and loaded.verifier_key() == signer.verifier_key()


def test_the_worker_signs_the_tree_as_it_grows(signed: Services) -> None:
    tracked = Tracked(signed)
    catch_up(signed)
    first = signed.store.checkpoints.latest()
    assert first is not None and first.size == signed.store.head_position() == 2

    verifier = Verifier.from_vkey(signed.store.checkpoints.verifier_key() or "")
    checkpoint = parse_checkpoint(open_note(first.note, [verifier]).text)
    assert (checkpoint.origin, checkpoint.size) == (ORIGIN, 2)
    assert checkpoint.root == signed.store.tree.root(2)

    tracked.plan(tracked.services.clock.today() + timedelta(days=40))
    catch_up(signed)  # too soon and too few events for another
    assert signed.store.checkpoints.latest() == first
    clock = signed.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(seconds=signed.config.checkpoint_interval_seconds))
    catch_up(signed)
    second = signed.store.checkpoints.latest()
    assert second is not None and second.size == 3
    proof = signed.store.tree.consistency(2, 3)
    assert merkle.verify_consistency(2, 3, first.root, second.root, proof.hashes)
    page, cursor = signed.store.checkpoints.page(None, 1)
    assert [c.size for c in page] == [3] and cursor == 3
    assert [c.size for c in signed.store.checkpoints.page(cursor, 10)[0]] == [2]


def test_enough_new_events_make_a_checkpoint_due_at_once(signed: Services) -> None:
    services = signed
    services.config = services.config.with_(checkpoint_every_events=2)
    tracked = Tracked(services)
    catch_up(services)
    tracked.plan(tracked.services.clock.today() + timedelta(days=40))
    catch_up(services)
    assert (services.store.checkpoints.latest() or pytest.fail()).size == 2  # 1 ahead
    tracked.plan(tracked.services.clock.today() + timedelta(days=41))
    catch_up(services)
    assert (services.store.checkpoints.latest() or pytest.fail()).size == 4


def test_a_rewritten_history_is_not_signed(signed: Services) -> None:
    tracked = Tracked(signed)
    catch_up(signed)
    first = signed.store.checkpoints.latest()
    assert first is not None
    # An operator with Redis access rewrites the first two events and recomputes the
    # tree over them (the subtree of leaves 0 and 1), then the log grows on from there.
    signed.redis.hset(signed.keys.tree, "1:0", bytes(32).hex())
    tracked.plan(tracked.services.clock.today() + timedelta(days=40))
    signed.store.sealer.seal_all()
    signed.store.tree.grow_all()
    signer = load_key(signed.config.signing_key_path)
    assert signer is not None
    with pytest.raises(Conflict, match="not consistent"):
        signed.store.checkpoints.issue(signer, signed.clock.now() + timedelta(hours=1))
    clock = signed.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(hours=1))
    assert not checkpoint_if_due(signed)  # the worker's path: refused and recorded, no crash
    assert signed.store.checkpoints.latest() == first
    assert "not consistent" in (signed.redis.get(signed.keys.checkpoint_refusal) or "")


def test_no_key_no_checkpoint(services: Services) -> None:
    Tracked(services)
    catch_up(services)
    assert services.store.checkpoints.latest() is None
    assert services.store.checkpoints.verifier_key() is None


def test_checkpoints_keep_coming_while_the_projector_chases_the_head(signed: Services) -> None:
    # Sustained appends keep the projector busy batch after batch; a checkpoint must
    # still cover the events appended meanwhile before the run ends.
    services = signed
    services.config = services.config.with_(checkpoint_every_events=1)
    tracked = Tracked(services)
    seen: list[int] = []

    def append_during_projection(_: object) -> None:
        latest = services.store.checkpoints.latest()
        seen.append(latest.size if latest else 0)
        if len(seen) <= 3:
            tracked.plan(tracked.services.clock.today() + timedelta(days=40 + len(seen)))

    catch_up(services, before_commit=append_during_projection)
    # Each batch after the first folds the one event appended during the one before, and
    # by then a checkpoint covers it: the log advanced between batches.
    assert seen == [2, 3, 4, 5] and services.store.head_position() == 5
