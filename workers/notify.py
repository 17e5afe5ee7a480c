"""RQ job: the notifier run (service/alerts/notifier.py)."""

from __future__ import annotations

from service.alerts.notifier import Notifier
from service.alerts.system import SystemAlerts
from workers import runtime


def notify() -> dict[str, int]:
    """RQ job (and periodic safety net): raise a pending system alert, fan out new alert
    events, enqueue due deliveries."""
    services = runtime.services()
    system = SystemAlerts(services).raise_pending()
    return {**Notifier(services).run(), "system": system}
