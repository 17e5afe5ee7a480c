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
    # Later collections walk only what was made since, far fewer objects...
    walked = sum(len(gc.get_objects(generation)) for generation in range(3))
    assert walked < gc.get_freeze_count()
    # ...and still collect its garbage.
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1


def test_gunicorn_worker_settles_once_the_app_is_loaded() -> None:
    assert gc.get_freeze_count() == 0
    gunicorn_config.post_worker_init(worker=None)
    assert gc.get_freeze_count() > 0
