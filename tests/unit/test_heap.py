"""What a server process holds after start-up is left out of later garbage collections."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from service.api import gunicorn_config
from service.runtime import heap


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_settle_leaves_live_objects_out_of_collections() -> None:
    kept = [{"start-up": n} for n in range(1_000)]
    heap.settle()
    assert gc.get_freeze_count() >= len(kept)
    # What is made afterwards is collected as usual.
    gc.collect()
    made = [[] for _ in range(100)]
    assert all(gc.is_tracked(item) for item in made)
    assert sum(len(generation) for generation in map(gc.get_objects, range(3))) < (
        gc.get_freeze_count()
    )


def test_gunicorn_worker_settles_once_the_app_is_loaded() -> None:
    assert gc.get_freeze_count() == 0
    gunicorn_config.post_worker_init(worker=None)
    assert gc.get_freeze_count() > 0
