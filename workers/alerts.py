"""RQ job: the overdue scan (service/alerts/scan.py)."""

from __future__ import annotations

from service.alerts.notifier import wake_notifier
from service.alerts.scan import OverdueScanner
from workers import runtime


def scan_for_overdue_milestones() -> dict[str, object]:
    """RQ job: one scan, then wake the notifier if anything was appended."""
    services = runtime.services()
    report = OverdueScanner(services).scan()
    if report.changed:
        wake_notifier(services)
    return {"due": report.due, "appended": report.appended}
