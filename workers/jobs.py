"""RQ job: seal and project the log (service/dashboards/projector.py).

Appends wake it through service/dashboards/wake.py; the scheduler runs it every minute
as a safety net. The alert feed follows the same log, so it catches up here too: no
request that reads alerts has to write.
"""

from __future__ import annotations

from service.alerts.feed import AlertFeed
from service.dashboards.projector import catch_up
from workers import runtime


def project() -> int:
    """Bring the read models and the alert feed up to the head of the log; the number of
    events folded into the read models."""
    services = runtime.services()
    folded = catch_up(services)
    AlertFeed(services.store).sync()
    return folded
