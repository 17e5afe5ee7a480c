"""Dashboards assembled from read-model records and "today": milestone rows, roll-ups per
initiative and programme, agency scorecards. Pure; the records come from a ReadSource
(the Redis read model, or an in-memory Snapshot for as-of queries).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import date
from typing import Any, Protocol

from service.dashboards.domain.phrases import Phrase
from service.dashboards.domain.rag import GREEN, SEVERITY, Thresholds, timing, worst
from service.dashboards.domain.readmodel import (
    INITIATIVES,
    PROGRAMMES,
    InitiativeRecord,
    MilestoneRecord,
    ProgrammeRecord,
)
from service.tracking.domain import milestone as ms


class ReadSource(Protocol):
    def programmes(self) -> list[ProgrammeRecord]: ...
    def programme(self, programme_id: str) -> ProgrammeRecord | None: ...
    def initiative(self, initiative_id: str) -> InitiativeRecord | None: ...
    def initiatives(self, initiative_ids: Iterable[str]) -> list[InitiativeRecord]: ...
    def member_ids(self, family: str, name: str, owner: str) -> set[str]: ...
    def milestones(self, milestone_ids: Iterable[str]) -> list[MilestoneRecord]: ...


def milestone_row(record: MilestoneRecord, today: date, rules: Thresholds) -> dict[str, Any]:
    t = timing(record, today, rules)
    row = asdict(record)
    del row["applied"]
    row.update(
        overdue=t.overdue,
        days_overdue=t.days_overdue,
        days_until_due=t.days_until_due,
        due_soon=t.due_soon,
        days_since_progress=t.days_since_progress,
        rag={"colour": t.colour, "reasons": list(t.reasons)},
    )
    return row


def _brief(row: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "milestone_id",
        "title",
        "owner_agency",
        "status",
        "due_date",
        "days_overdue",
        "days_until_due",
        "progress",
        "rag",
    )
    return {key: row[key] for key in keys}


def rollup(records: list[MilestoneRecord], today: date, rules: Thresholds) -> dict[str, Any]:
    """Counts by status and by RAG colour, % complete, overdue and due-soon lists, RAG
    with its reasons."""
    rows = sorted(
        (milestone_row(r, today, rules) for r in records),
        key=lambda row: (row["due_date"], row["title"]),
    )
    counted = [row for row in rows if row["status"] != ms.CANCELLED]
    counts = dict.fromkeys(ms.STATUSES, 0)
    by_rag = dict.fromkeys(SEVERITY, 0)
    for row in rows:
        counts[row["status"]] += 1
        by_rag[row["rag"]["colour"]] += 1
    overdue = sorted((row for row in rows if row["overdue"]), key=lambda row: -row["days_overdue"])
    colour = worst([row["rag"]["colour"] for row in rows])
    reasons = (
        [
            Phrase("%(title)s: %(reason)s", title=row["title"], reason=reason)
            for row in rows
            if row["rag"]["colour"] == colour
            for reason in row["rag"]["reasons"]
        ]
        if colour != GREEN
        else [Phrase("no milestone is disputed, overdue, or due soon without recent progress")]
    )
    return {
        "milestone_count": len(rows),
        "counts_by_status": counts,
        "counts_by_rag": by_rag,
        "percent_complete": (
            round(sum(row["progress"] for row in counted) / len(counted), 1) if counted else None
        ),
        "overdue_count": len(overdue),
        "due_soon_count": sum(1 for row in rows if row["due_soon"]),
        "overdue": [_brief(row) for row in overdue],
        "due_soon": [_brief(row) for row in rows if row["due_soon"]],
        "rag": {"colour": colour, "reasons": reasons},
        "position": max((row["position"] for row in rows), default=0),
        "rows": rows,
    }


def initiative_dashboard(
    source: ReadSource, initiative_id: str, today: date, rules: Thresholds
) -> dict[str, Any] | None:
    initiative = source.initiative(initiative_id)
    if initiative is None:
        return None
    ids = source.member_ids(INITIATIVES, "milestones", initiative_id)
    summary = rollup(source.milestones(ids), today, rules)
    milestones = summary.pop("rows")
    position = max(summary.pop("position"), initiative.position)
    return {**asdict(initiative), **summary, "position": position, "milestones": milestones}


def programme_dashboard(
    source: ReadSource, programme_id: str, today: date, rules: Thresholds
) -> dict[str, Any] | None:
    programme = source.programme(programme_id)
    if programme is None:
        return None
    initiatives = []
    for initiative in sorted(
        source.initiatives(source.member_ids(PROGRAMMES, "initiatives", programme_id)),
        key=lambda i: i.position,
    ):
        found = initiative_dashboard(source, initiative.initiative_id, today, rules)
        if found:
            found.pop("milestones")
            initiatives.append(found)
    ids = source.member_ids(PROGRAMMES, "milestones", programme_id)
    summary = rollup(source.milestones(ids), today, rules)
    summary.pop("rows")
    position = max(
        [summary.pop("position"), programme.position] + [i["position"] for i in initiatives]
    )
    return {**asdict(programme), **summary, "position": position, "initiatives": initiatives}


def overview(source: ReadSource, today: date, rules: Thresholds) -> list[dict[str, Any]]:
    found = (
        programme_dashboard(source, p.programme_id, today, rules)
        for p in sorted(source.programmes(), key=lambda p: p.position)
    )
    return [dashboard for dashboard in found if dashboard]
