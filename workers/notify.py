"""RQ job: the notifier run (service/alerts/notifier.py)."""

from __future__ import annotations

from service.alerts.notifier import Notifier
from workers import runtime


def notify() -> dict[str, int]:
    """RQ job (and periodic safety net): fan out new alert events, enqueue due deliveries."""
    return Notifier(runtime.services()).run()
