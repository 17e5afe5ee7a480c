"""Every Prometheus metric of the service, and the registry /metrics reads.

The API runs as several gunicorn workers and the projector in RQ's forked work horses,
so a counter kept in one process's memory would show one process's share, or vanish
with the work horse. With ``PROMETHEUS_MULTIPROC_DIR`` set (by `reform-tracker up` for
its children, by docker-compose.yml for the api and worker containers) prometheus-client
keeps each process's values in files in that folder, and ``collected()`` sums them all,
those of processes that have exited included. The variable must be set before
prometheus-client is imported: it picks its storage at import time.

The files are named by host and pid, not pid alone: containers that share the folder
each number their processes from 1. All metrics are defined here, after that naming is
installed, because a metric created before it would write under the bare pid.
Gauges, if ever added, need a ``multiprocess_mode``.
"""

from __future__ import annotations

import os
import socket

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess, values

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
HOST = socket.gethostname()


def process_id(pid: int | None = None) -> str:
    """The name this process's (or ``pid``'s) metric files carry."""
    return f"{HOST}-{os.getpid() if pid is None else pid}"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_DIR) or None


if multiprocess_dir():
    values.ValueClass = values.MultiProcessValue(process_identifier=process_id)


REQUESTS = Counter(
    "reform_tracker_http_requests_total", "HTTP requests", ["method", "endpoint", "status"]
)
LATENCY = Histogram(
    "reform_tracker_http_request_seconds", "HTTP request latency", ["method", "endpoint"]
)
EVENTS_APPENDED = Counter(
    "reform_tracker_events_appended_total",
    "New events acknowledged by the event store (API commands, alert jobs, bulk appends); "
    "events restored by an import are not counted",
)
EVENTS_PROJECTED = Counter(
    "reform_tracker_events_projected_total", "Events folded into read models"
)
BATCH_CONFLICTS = Counter(
    "reform_tracker_projector_conflicts_total",
    "Batches redone because another worker or a rebuild committed first",
)


def collected() -> CollectorRegistry:
    """What /metrics reports: every process's values summed in multiprocess mode (a fresh
    registry per scrape, as prometheus-client requires), this process's otherwise."""
    if not multiprocess_dir():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def mark_process_dead(pid: int) -> None:
    """Forget an exited process's live gauges (counters and histograms keep counting)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(process_id(pid))
