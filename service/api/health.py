"""Liveness, readiness and metrics."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.api.auth import services
from service.ledger.durability import durability_problems
from service.runtime.connection import StoreError
from service.runtime.metrics import collected

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz() -> dict[str, Any]:
    """The process is up (says nothing about Redis)."""
    return {"status": "ok"}


@blp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    """Ready when Redis answers and is configured not to lose acknowledged events."""
    found = services()
    try:
        found.redis.ping()
        problems = durability_problems(found.redis)
    except StoreError as error:
        return {"status": "unavailable", "problems": [f"redis unreachable: {error}"]}, 503
    if problems and not found.config.allow_unsafe_redis:
        return {"status": "unsafe", "problems": problems}, 503
    return {
        "status": "ready",
        "problems": problems,
        "head_position": found.store.head_position(),
    }, 200


@blp.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics of the whole deployment on this host: every API worker's,
    worker's and work horse's counts (see service/runtime/metrics.py)."""
    return Response(generate_latest(collected()), mimetype=CONTENT_TYPE_LATEST)
