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

from service.dashboards.domain.aggregates import COMPLETED, Totals, agency_scope, member_set
from service.dashboards.domain.dashboards import Memo, ReadSource, scope_summaries
from service.dashboards.domain.rag import Thresholds
from service.dashboards.domain.readmodel import MilestoneRecord
from service.tracking.domain import milestone as ms

CLAIMED = frozenset({ms.REPORTED_COMPLETE, ms.VERIFIED, ms.DISPUTED})


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
        "on_time": late.days <= 0,
    }


def deliveries(
    source: ReadSource, agency: str, totals: Totals, memo: Memo | None = None
) -> list[dict[str, Any]]:
    """One per completed milestone, reading only the records that may be completed: the
    ones reported complete (kept in the totals) and the closed ones (verified or
    cancelled: the agency's milestones outside its open index). They do not depend on
    the day, and change only with the totals (see ``scope_summaries``)."""
    if not any(totals.counts[status] for status in COMPLETED):
        return []
    scope = agency_scope(agency)
    key = ("deliveries", scope, repr(totals))
    remembered = memo.get(key) if memo is not None else None
    if remembered is None:
        remembered = _deliveries(source, scope, totals)
        if memo is not None:
            memo.put(key, remembered)
    return list(remembered)


def _deliveries(source: ReadSource, scope: str, totals: Totals) -> list[dict[str, Any]]:
    _, open_ids = source.kept([scope], date.max)[scope]
    closed = source.member_ids(*member_set(scope)) - set(open_ids)
    completed = (
        r for r in source.milestones([*totals.reported, *sorted(closed)]) if r.status in COMPLETED
    )
    return sorted((delivery(r) for r in completed), key=lambda d: (d["completed_on"], d["title"]))


def scorecard(
    source: ReadSource, agency: str, today: date, rules: Thresholds, memo: Memo | None = None
) -> dict[str, Any] | None:
    scope = agency_scope(agency)
    totals, found = scope_summaries(source, [scope], today, rules, memo)[scope]
    if not found["milestone_count"]:
        return None
    counts = found["counts_by_status"]
    everything = deliveries(source, agency, totals, memo)
    completed = sum(counts[status] for status in COMPLETED)
    reported = sum(counts[status] for status in CLAIMED)
    verified = counts[ms.VERIFIED]
    return {
        "agency": agency,
        "milestone_count": found["milestone_count"],
        "counts_by_status": counts,
        "counts_by_rag": found["counts_by_rag"],
        "percent_complete": found["percent_complete"],
        "completed_count": completed,
        "completed_on_time": totals.on_time,
        "on_time_rate": round(totals.on_time / completed, 3) if completed else None,
        # The latest completions (every one of them is counted in the on-time rate).
        "deliveries": everything[-rules.summary_rows :],
        "deliveries_count": len(everything),
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
