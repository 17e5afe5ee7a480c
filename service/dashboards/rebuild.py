"""Rebuild read models from the log without downtime.

The rebuild folds the whole log into a new generation of keys while the live generation
keeps serving (and the projector keeps updating it). Once caught up it takes the projector
lease, folds the tail appended meanwhile, and switches the generation pointer in one
transaction; the old generation's keys are then deleted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from service.dashboards.domain.readmodel import FAMILIES, MILESTONES
from service.dashboards.projector import fold_batch
from service.dashboards.projector_status import lease_key
from service.dashboards.readmodels import Layout, generations_key, live_generations
from service.ledger.domain.chain import Breach
from service.ledger.infrastructure import Infrastructure
from service.ledger.integrity import first_breach
from service.runtime.connection import owner, rerouted
from service.runtime.lease import lease

Progress = Callable[[int, int], None]  # (position reached, head position)
REBUILD_BATCH = 5000


@dataclass(frozen=True)
class RebuildReport:
    families: tuple[str, ...]
    generation: int
    position: int
    seconds: float  # until the switch; deleting the old generation comes after
    forced_past: Breach | None = None  # the log's first bad event, when forced to fold it


def rebuild(
    services: Infrastructure,
    projection: str | None = None,
    progress: Progress | None = None,
    *,
    batch_size: int = REBUILD_BATCH,
    lease_wait_seconds: float = 120.0,
    cleanup_delay: float = 2.0,
    force: bool = False,
) -> RebuildReport:
    """Rebuild ``projection`` (a family name; None = all) and switch to it atomically.
    A log that does not verify is refused (BrokenLog) before anything is folded, unless
    ``force``d: dashboards folded from it would show an altered history as recorded."""
    if projection is not None and projection not in FAMILIES:
        raise ValueError(f"unknown projection {projection!r}; choose from {', '.join(FAMILIES)}")
    breach = first_breach(services.store, force=force, refused="rebuilt or switched")
    started = time.perf_counter()
    families = FAMILIES if projection is None else (projection,)
    keys = services.keys
    generation = int(services.redis.incr(keys.read_model("generation-counter")))
    building = Layout(keys, dict.fromkeys(families, generation), live=False)
    position = _fold_all(services, building, families, batch_size, progress)
    held = lease(services.redis, lease_key(services))
    if not held.acquire(blocking_timeout=lease_wait_seconds):
        raise TimeoutError("the projector did not release its lease; nothing was switched")
    try:
        position = _fold_all(services, building, families, batch_size, progress, position)
        retired = _switch(services, building, families)
    finally:
        held.release()
    switched = time.perf_counter() - started
    time.sleep(cleanup_delay)  # let reads pinned to the old generation finish
    for family, old_generation in retired.items():
        _delete_generation(services.redis, Layout(keys, {family: old_generation}), family)
    return RebuildReport(families, generation, position, switched, breach)


def _fold_all(
    services: Infrastructure,
    building: Layout,
    families: tuple[str, ...],
    batch_size: int,
    progress: Progress | None,
    position: int = 0,
) -> int:
    head = services.store.head_position()
    while folded := fold_batch(services, lambda _pipe: building, families, batch_size):
        position += folded
        head = max(head, position)
        if progress:
            progress(position, head)
    return position


def _switch(
    services: Infrastructure, building: Layout, families: tuple[str, ...]
) -> dict[str, int]:
    """Point the live generations at ``building``; the generations they replace."""
    pointer = generations_key(services.keys)
    live_due = services.keys.read_model("due")
    with (
        rerouted(services.redis),
        owner(services.redis, services.keys.log).pipeline(transaction=True) as pipe,
    ):
        while True:
            try:
                pipe.watch(pointer, building.due)
                old = live_generations(pipe, services.keys)
                has_due = MILESTONES in families and pipe.exists(building.due)
                pipe.multi()
                pipe.hset(pointer, mapping={f: building.generations[f] for f in families})
                if has_due:
                    pipe.rename(building.due, live_due)
                elif MILESTONES in families:
                    pipe.delete(live_due)  # the rebuilt index is empty
                pipe.execute()
                return {family: old[family] for family in families}
            except redis.WatchError:
                continue


def _delete_generation(client: redis.Redis, layout: Layout, family: str) -> None:
    batch: list[str] = []
    for key in client.scan_iter(match=layout.pattern(family), count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            client.unlink(*batch)
            batch.clear()
    if batch:
        client.unlink(*batch)
