"""Per-agency scorecard: how reliably an agency delivers on time, and how much of what it
reports has been verified by oversight.

  on-time rate   completed milestones (reported complete or verified) whose completion was
                 claimed on or before the baseline (originally planned) due date, divided by
                 all completed milestones; a reschedule does not move the baseline
  days late      per completed milestone: the day its completion was claimed minus its
                 baseline due date (negative: early)
  overdue count  open milestones past their current due date, as of "today"
  verified vs reported  milestones verified, against milestones ever claimed complete
                 (reported complete, verified or disputed)
"""

from __future__ import annotations

from datetime import date
from typing import Any

from service.dashboards.domain.dashboards import ReadSource, rollup
from service.dashboards.domain.rag import Thresholds
from service.dashboards.domain.readmodel import AGENCIES, MilestoneRecord
from service.tracking.domain import milestone as ms

CLAIMED = frozenset({ms.REPORTED_COMPLETE, ms.VERIFIED, ms.DISPUTED})
COMPLETED = frozenset({ms.REPORTED_COMPLETE, ms.VERIFIED})


def on_time(record: MilestoneRecord) -> bool:
    claimed = record.reported_complete_at
    return claimed is not None and claimed[:10] <= record.planned_due_date


def delivery(record: MilestoneRecord) -> dict[str, Any]:
    """A completed milestone's delivery against its baseline: claimed when, how late."""
    claimed = record.reported_complete_at or ""
    late = date.fromisoformat(claimed[:10]) - date.fromisoformat(record.planned_due_date)
    return {
        "milestone_id": record.milestone_id,
        "title": record.title,
        "status": record.status,
        "planned_due_date": record.planned_due_date,
        "completed_on": claimed[:10],
        "days_late": late.days,
        "on_time": on_time(record),
    }


def scorecard(
    source: ReadSource, agency: str, today: date, rules: Thresholds
) -> dict[str, Any] | None:
    records = source.milestones(source.member_ids(AGENCIES, "milestones", agency))
    if not records:
        return None
    summary = rollup(records, today, rules)
    summary.pop("rows")
    completed = [r for r in records if r.status in COMPLETED]
    completed_on_time = sum(1 for r in completed if on_time(r))
    reported = sum(1 for r in records if r.status in CLAIMED)
    verified = sum(1 for r in records if r.status == ms.VERIFIED)
    return {
        "agency": agency,
        "milestone_count": summary["milestone_count"],
        "counts_by_status": summary["counts_by_status"],
        "counts_by_rag": summary["counts_by_rag"],
        "percent_complete": summary["percent_complete"],
        "completed_count": len(completed),
        "completed_on_time": completed_on_time,
        "on_time_rate": round(completed_on_time / len(completed), 3) if completed else None,
        "deliveries": sorted(
            (delivery(r) for r in completed), key=lambda d: (d["completed_on"], d["title"])
        ),
        "overdue_count": summary["overdue_count"],
        "overdue": summary["overdue"],
        "reported_count": reported,
        "verified_count": verified,
        "disputed_count": summary["counts_by_status"][ms.DISPUTED],
        "verified_share": round(verified / reported, 3) if reported else None,
        "slip_days_total": sum(r.slip_days for r in records),
        "rag": summary["rag"],
        "position": summary["position"],
    }
