"""Time-dependent status of milestones: overdue, due soon and the RAG colour with its reason.

Computed when a dashboard is read, from the stored facts and "today", so the answer is
never stale. The rules (documented in docs/dashboards.md):

  red    completion disputed, or overdue by more than ``red_overdue_days``
  amber  overdue (by fewer days), or due within ``amber_due_within_days`` with no progress
         in the last ``amber_stale_days`` (work already reported complete is exempt)
  green  otherwise
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from service.dashboards.domain.phrases import Phrase
from service.dashboards.domain.readmodel import MilestoneRecord
from service.tracking.domain import milestone as ms

GREEN, AMBER, RED = "green", "amber", "red"
SEVERITY = {GREEN: 0, AMBER: 1, RED: 2}


@dataclass(frozen=True)
class Thresholds:
    """The rules a dashboard is computed by: the RAG thresholds (days), and how many rows
    a summary lists of its overdue and due-soon milestones and of its RAG reasons
    (``summary_rows``; the counts are always of every row)."""

    red_overdue_days: int = 30
    amber_due_within_days: int = 14
    amber_stale_days: int = 30
    summary_rows: int = 10

    @classmethod
    def of(cls, config: Any) -> Thresholds:
        """The rules a deployment's configuration sets (service.runtime.config.Config)."""
        return cls(
            config.red_overdue_days,
            config.amber_due_within_days,
            config.amber_stale_days,
            config.summary_rows,
        )


@dataclass(frozen=True)
class MilestoneTiming:
    """A milestone's standing on a given day."""

    overdue: bool
    days_overdue: int
    days_until_due: int
    due_soon: bool
    days_since_progress: int | None
    colour: str
    reasons: tuple[str, ...] = field(default=())


def _day(timestamp: str) -> date:
    return date.fromisoformat(timestamp[:10])


def timing(record: MilestoneRecord, today: date, rules: Thresholds) -> MilestoneTiming:
    due = date.fromisoformat(record.due_date)
    days_until_due = (due - today).days
    open_ = record.status not in ms.FINAL
    overdue = open_ and days_until_due < 0
    days_overdue = -days_until_due if overdue else 0
    since = (today - _day(record.last_progress_at)).days if record.last_progress_at else None
    claimed = record.status == ms.REPORTED_COMPLETE
    due_soon = open_ and not claimed and 0 <= days_until_due <= rules.amber_due_within_days
    stale = since is None or since > rules.amber_stale_days
    colour, reasons = GREEN, list[str]()
    if record.status == ms.DISPUTED:
        colour = RED
        # No reason: the public portal withholds it (service/access/disclosure.py).
        reasons.append(
            Phrase("completion disputed: %(reason)s", reason=record.dispute_reason)
            if record.dispute_reason
            else Phrase("completion disputed")
        )
    if overdue and days_overdue > rules.red_overdue_days:
        colour = RED
        limit = rules.red_overdue_days
        reasons.append(
            Phrase("%(days)s days overdue (more than %(limit)s)", days=days_overdue, limit=limit)
        )
    elif overdue:
        colour = max(colour, AMBER, key=SEVERITY.__getitem__)
        reasons.append(Phrase("%(days)s days overdue", days=days_overdue))
    elif due_soon and stale:
        colour = max(colour, AMBER, key=SEVERITY.__getitem__)
        reasons.append(
            Phrase("due in %(days)s days, never any progress", days=days_until_due)
            if since is None
            else Phrase(
                "due in %(days)s days, last progress %(since)s days ago",
                days=days_until_due,
                since=since,
            )
        )
    if not reasons:
        reasons.append(_green_reason(record))
    return MilestoneTiming(
        overdue, days_overdue, days_until_due, due_soon, since, colour, tuple(reasons)
    )


def _green_reason(record: MilestoneRecord) -> Phrase:
    if record.status == ms.VERIFIED:
        return Phrase("verified")
    if record.status == ms.CANCELLED:
        return Phrase("cancelled")
    return Phrase("on track")


def worst(colours: list[str]) -> str:
    return max(colours, key=SEVERITY.__getitem__, default=GREEN)
