"""Runs every benchmark section against one freshly started redis-server.

Sections written by other parts of the project (projector, overdue scan) are plain
modules with ``run(quick: bool) -> dict``; until such a module exists its section is
reported as pending rather than silently left out. A section that fails is reported as
failed and the others still run.
"""

from __future__ import annotations

import importlib
import inspect
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import redis

from bench import (
    bulk_report,
    checkpoint_latency,
    failover,
    http_append,
    memory,
    merkle_tree,
    peer_eventsourcing,
    store_append,
)
from bench.results import Section, rows_from_dict
from bench.settings import Settings
from service.runtime.redis_server import RedisServer

OWN_SECTIONS = [store_append, peer_eventsourcing, http_append, bulk_report]
# After the external ones, before Memory (which flushes the server).
LOG_SECTIONS = [merkle_tree, checkpoint_latency]
EXTERNAL_SECTIONS = [
    ("Projector", "bench.projector"),
    ("Overdue scan", "bench.overdue_scan"),
    ("Downloads", "bench.downloads"),
    ("Charts", "bench.charts"),
]


def external_section(name: str, module_name: str, settings: Settings) -> Section:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        return Section(name, status="pending", reason=f"{module_name} is not written yet")
    accepted = inspect.signature(module.run).parameters
    extra = {"redis_url": settings.redis_url} if "redis_url" in accepted else {}
    data: dict[str, Any] = module.run(settings.quick, **extra)
    return Section(
        name,
        status=str(data.get("status", "ok")),
        reason=str(data.get("reason", "")),
        rows=rows_from_dict(data),
        notes=list(data.get("notes", [])),
    )


def machine(client: redis.Redis) -> dict[str, Any]:
    server = client.info("server")
    config = client.config_get("*")
    return {
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "redis_version": server["redis_version"],
        "appendonly": config.get("appendonly"),
        "appendfsync": config.get("appendfsync"),
        "maxmemory_policy": config.get("maxmemory-policy"),
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
    }


def _guarded(name: str, run: Callable[[], Section]) -> Section:
    started = time.monotonic()
    try:
        section = run()
    except Exception as error:
        traceback.print_exc(file=sys.stderr)
        section = Section(name, status="failed", reason=f"{type(error).__name__}: {error}")
    section.notes.append(f"section took {time.monotonic() - started:.1f} s")
    return section


def run_all(
    quick: bool, progress: Callable[[str], None] = print, only: list[str] | None = None
) -> dict[str, Any]:
    """Every section, or those named in ``only``."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rt-bench-") as data_dir:
        server = RedisServer(Path(data_dir)).start()
        try:
            settings = Settings.for_mode(server.url, quick)
            client = redis.Redis.from_url(server.url, decode_responses=True)
            facts = machine(client)
            client.close()
            sections = []
            runners: list[tuple[str, Callable[[], Section]]] = [
                (module.NAME, partial(module.run, settings)) for module in OWN_SECTIONS
            ]
            runners += [
                (name, partial(external_section, name, module, settings))
                for name, module in EXTERNAL_SECTIONS
            ]
            runners += [(module.NAME, partial(module.run, settings)) for module in LOG_SECTIONS]
            runners.append((memory.NAME, partial(memory.run, settings)))
            # Starts a replicated deployment of its own for each run.
            runners.append((failover.NAME, partial(failover.run, settings)))
            if only:
                runners = [(name, runner) for name, runner in runners if name in only]
                if not runners:
                    raise ValueError(f"no section is called {' or '.join(only)}")
            for name, runner in runners:
                progress(f"running {name} ...")
                sections.append(_guarded(name, runner))
        finally:
            server.stop()
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "repetitions": settings.repetitions,
        "seconds_per_run": settings.seconds,
        "machine": facts,
        "duration_seconds": round(time.monotonic() - started, 1),
        "sections": [section.to_dict() for section in sections],
    }
