"""RQ jobs: seal and project the log (service/dashboards/projector.py), and check the
read models against it (service/dashboards/readmodel_check.py).

Appends wake it through service/dashboards/wake.py; the scheduler runs it every minute
as a safety net. The alert feed follows the same log, so it catches up here too: no
request that reads alerts has to write. A checkpoint the projector's run refused to sign
is raised as a system alert here, and the notifier woken to deliver it.
"""

from __future__ import annotations

from service.alerts.feed import AlertFeed
from service.alerts.notifier import wake_notifier
from service.alerts.system import SystemAlerts
from service.dashboards.projector import catch_up
from service.dashboards.readmodel_check import check_read_models
from service.dashboards.snapshot_checks import repair_snapshots
from workers import runtime


def project() -> int:
    """Bring the read models and the alert feed up to the head of the log; the number of
    events folded into the read models."""
    services = runtime.services()
    folded = catch_up(services)
    AlertFeed(services.store).sync()
    if SystemAlerts(services).raise_pending():
        wake_notifier(services)
    return folded


def check_read_models_against_the_log() -> bool:
    """Fold the log and compare it with the live read models (the dashboards show the
    outcome), then repair the end-of-day snapshots that do not check out; True when the
    read models agree with the log."""
    services = runtime.services()
    ok = check_read_models(services).ok
    repair_snapshots(services)
    return ok
