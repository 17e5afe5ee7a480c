"""Per-scope totals of milestone records, kept as the records change, so a dashboard's
summary costs the rows it shows rather than every milestone beneath it.

A scope is a programme, an initiative or an owner agency ("programme:<id>", ...). Its
totals hold only what does not change with the passing of time: counts by status, the
progress sum, completions on time, slip, the disputed milestones. What depends on
"today" comes from the scope's open milestones due by the end of the due-soon window
(an index ordered by due date): every milestone outside that window and not disputed is
green, neither overdue nor due soon, so the summary is exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from service.dashboards.domain.milestone_projection import CLOSED, Facts
from service.dashboards.domain.rag import Thresholds
from service.dashboards.domain.readmodel import AGENCIES, INITIATIVES, PROGRAMMES
from service.tracking.domain import milestone as ms

COMPLETED = frozenset({ms.REPORTED_COMPLETE, ms.VERIFIED})


def scopes_of(record: Mapping[str, Any]) -> tuple[str, str, str]:
    """The scopes a milestone counts in; fixed when it is planned."""
    return (
        programme_scope(record["programme_id"]),
        initiative_scope(record["initiative_id"]),
        agency_scope(record["owner_agency"]),
    )


def programme_scope(programme_id: str) -> str:
    return f"programme:{programme_id}"


def initiative_scope(initiative_id: str) -> str:
    return f"initiative:{initiative_id}"


def agency_scope(agency: str) -> str:
    return f"agency:{agency}"


def member_set(scope: str) -> tuple[str, str, str]:
    """The (family, name, owner) of the member set holding a scope's milestones."""
    kind, _, owner = scope.partition(":")
    return (
        {"programme": PROGRAMMES, "initiative": INITIATIVES, "agency": AGENCIES}[kind],
        "milestones",
        owner,
    )


def open_ordinal(record: Mapping[str, Any]) -> int | None:
    """The due date's ordinal while the milestone can still fall overdue, else None."""
    if record["status"] in CLOSED:
        return None
    return date.fromisoformat(record["due_date"]).toordinal()


def _on_time(record: Mapping[str, Any]) -> bool:
    """Completed, with completion claimed on or before the baseline (planned) due date:
    a reschedule does not move the baseline."""
    claimed = record["reported_complete_at"]
    return (
        record["status"] in COMPLETED
        and claimed is not None
        and claimed[:10] <= record["planned_due_date"]
    )


@dataclass
class Totals:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ms.STATUSES, 0))
    progress_sum: int = 0  # over milestones not cancelled
    slip_days: int = 0
    on_time: int = 0  # completed (reported or verified) on or before the baseline date
    position: int = 0  # the latest log position folded into any of the milestones
    disputed: list[str] = field(default_factory=list)  # milestone ids, sorted
    # Milestone ids reported complete and awaiting verification, sorted: with the closed
    # ones (not in the open index) they are the completed ones a scorecard lists.
    reported: list[str] = field(default_factory=list)

    def add(self, record: Mapping[str, Any], sign: int = 1) -> None:
        """Count ``record`` in (sign 1) or out (sign -1)."""
        status = record["status"]
        self.counts[status] += sign
        if status != ms.CANCELLED:
            self.progress_sum += sign * record["progress"]
        self.slip_days += sign * record["slip_days"]
        self.on_time += sign * _on_time(record)
        if status == ms.DISPUTED:
            self.disputed = _listed(self.disputed, record["milestone_id"], sign)
        if status == ms.REPORTED_COMPLETE:
            self.reported = _listed(self.reported, record["milestone_id"], sign)
        if sign > 0:
            self.position = max(self.position, record["position"])

    @property
    def milestone_count(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "progress_sum": self.progress_sum,
            "slip_days": self.slip_days,
            "on_time": self.on_time,
            "position": self.position,
            "disputed": self.disputed,
            "reported": self.reported,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Totals:
        return cls(
            counts={**dict.fromkeys(ms.STATUSES, 0), **data["counts"]},
            progress_sum=data["progress_sum"],
            slip_days=data["slip_days"],
            on_time=data["on_time"],
            position=data["position"],
            disputed=list(data["disputed"]),
            reported=list(data["reported"]),
        )


def _listed(ids: list[str], milestone_id: str, sign: int) -> list[str]:
    found = set(ids)
    return sorted(found | {milestone_id} if sign > 0 else found - {milestone_id})


def totals_of(records: Iterable[Mapping[str, Any]]) -> Totals:
    totals = Totals()
    for record in records:
        totals.add(record)
    return totals


def counted_afresh(records: Iterable[Mapping[str, Any]], until: date) -> tuple[Totals, list[str]]:
    """A scope's totals and open milestones due by ``until``, counted from every one of its
    records: what the kept totals and index must equal."""
    found = list(records)
    last = until.toordinal()
    due = [
        r["milestone_id"]
        for r in found
        if (ordinal := open_ordinal(r)) is not None and ordinal <= last
    ]
    return totals_of(found), due


@dataclass(frozen=True)
class ScopeChanges:
    """What a set of milestone record changes does to the scopes they count in."""

    totals: dict[str, Totals]  # scope -> its new totals
    indexed: dict[str, dict[str, int]]  # scope -> milestone id -> due ordinal
    unindexed: dict[str, set[str]]  # scope -> milestone ids leaving its open index


def scope_changes(
    before: Mapping[str, Facts | None],
    after: Mapping[str, Facts],
    stored: Mapping[str, Totals | None],
) -> ScopeChanges:
    """Fold each milestone's change from ``before`` to ``after`` into the ``stored`` totals
    of its scopes (None: a scope not seen yet)."""
    totals: dict[str, Totals] = {}
    indexed: dict[str, dict[str, int]] = {}
    unindexed: dict[str, set[str]] = {}
    for milestone_id, new in after.items():
        old = before.get(milestone_id)
        ordinal, old_ordinal = open_ordinal(new), open_ordinal(old) if old else None
        for scope in scopes_of(new):
            if scope not in totals:
                totals[scope] = Totals.from_dict((stored.get(scope) or Totals()).to_dict())
            if old is not None:
                totals[scope].add(old, -1)
            totals[scope].add(new)
            if ordinal is not None and ordinal != old_ordinal:
                indexed.setdefault(scope, {})[milestone_id] = ordinal
                unindexed.get(scope, set()).discard(milestone_id)
            elif ordinal is None and old_ordinal is not None:
                unindexed.setdefault(scope, set()).add(milestone_id)
                indexed.get(scope, {}).pop(milestone_id, None)
    return ScopeChanges(totals, indexed, unindexed)


def attention_until(today: date, rules: Thresholds) -> date:
    """The last due date that can make an open milestone overdue or due soon today."""
    return today + timedelta(days=rules.amber_due_within_days)
