"""Per-agency scorecard: how reliably an agency delivers on time, and how much of what it
reports has been verified by oversight.

  on-time rate   completed milestones (reported complete or verified) whose completion was
                 claimed on or before the baseline (originally planned) due date, divided by
                 all completed milestones; a reschedule does not move the baseline
  overdue count  open milestones past their current due date, as of "today"
  verified vs reported  milestones verified, against milestones ever claimed complete
                 (reported complete, verified or disputed)
"""

from __future__ import annotations

from datetime import date
from typing import Any

from service.dashboards.domain.aggregates import COMPLETED, agency_scope
from service.dashboards.domain.dashboards import ReadSource, scope_summaries
from service.dashboards.domain.rag import Thresholds
from service.tracking.domain import milestone as ms

CLAIMED = frozenset({ms.REPORTED_COMPLETE, ms.VERIFIED, ms.DISPUTED})


def scorecard(
    source: ReadSource, agency: str, today: date, rules: Thresholds
) -> dict[str, Any] | None:
    totals, found = scope_summaries(source, [agency_scope(agency)], today, rules)[
        agency_scope(agency)
    ]
    if not found["milestone_count"]:
        return None
    counts = found["counts_by_status"]
    completed = sum(counts[status] for status in COMPLETED)
    reported = sum(counts[status] for status in CLAIMED)
    verified = counts[ms.VERIFIED]
    return {
        "agency": agency,
        "milestone_count": found["milestone_count"],
        "counts_by_status": counts,
        "completed_count": completed,
        "completed_on_time": totals.on_time,
        "on_time_rate": round(totals.on_time / completed, 3) if completed else None,
        "overdue_count": found["overdue_count"],
        "overdue": found["overdue"],
        "reported_count": reported,
        "verified_count": verified,
        "disputed_count": counts[ms.DISPUTED],
        "verified_share": round(verified / reported, 3) if reported else None,
        "slip_days_total": totals.slip_days,
        "rag": found["rag"],
        "position": found["position"],
    }
