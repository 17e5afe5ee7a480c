"""What `reform-tracker projector status` shows: how far each read model has got, how far
behind the log it is, and the last error the projector met."""

from __future__ import annotations

import logging
from typing import Any

import redis

from service.dashboards.domain.readmodel import FAMILIES
from service.dashboards.readmodels import Layout, live_generations
from service.ledger.infrastructure import Infrastructure
from service.runtime.clock import isoformat

log = logging.getLogger("reform_tracker.projector")


def status_key(services: Infrastructure) -> str:
    return services.keys.read_model("projector:status")


def lease_key(services: Infrastructure) -> str:
    return services.keys.read_model("projector:lease")


def record_error(services: Infrastructure, error: Exception) -> None:
    """Keep the error where `projector status` finds it; the batch stays unapplied."""
    log.exception("projection failed")
    try:
        services.redis.hset(
            status_key(services),
            mapping={
                "last_error": f"{type(error).__name__}: {error}",
                "last_error_at": isoformat(services.clock.now()),
            },
        )
    except redis.RedisError:
        log.warning("could not record the projection error")


def projector_status(services: Infrastructure) -> dict[str, Any]:
    client = services.redis
    generations = live_generations(client, services.keys)
    layout = Layout(services.keys, generations)
    raw = client.mget([layout.checkpoint(family) for family in FAMILIES])
    checkpoints = {family: int(value or 0) for family, value in zip(FAMILIES, raw, strict=True)}
    checkpoint = min(checkpoints.values())
    head = services.store.head_position()
    recorded = client.hgetall(status_key(services))
    return {
        "checkpoint": checkpoint,
        "head": head,
        "lag": head - checkpoint,
        "families": {
            f: {"generation": generations[f], "checkpoint": checkpoints[f]} for f in FAMILIES
        },
        "projecting": client.exists(lease_key(services)) == 1,
        "last_batch_at": recorded.get("last_batch_at"),
        "last_batch_events": int(recorded.get("last_batch_events", 0)),
        "last_error": recorded.get("last_error"),
        "last_error_at": recorded.get("last_error_at"),
    }
