"""Prometheus metrics of the API process."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "reform_tracker_http_requests_total", "HTTP requests", ["method", "endpoint", "status"]
)
LATENCY = Histogram(
    "reform_tracker_http_request_seconds", "HTTP request latency", ["method", "endpoint"]
)
EVENTS_APPENDED = Counter("reform_tracker_events_appended_total", "Events appended via the API")
