"""Dashboards assembled from read-model records and "today": milestone rows, roll-ups per
initiative and programme, agency scorecards. Pure; the records come from a ReadSource
(the Redis read model, or an in-memory Snapshot for as-of queries).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable, Iterable
from dataclasses import asdict, fields
from datetime import date
from typing import Any, Protocol

from service.dashboards.domain.aggregates import (
    Totals,
    attention_until,
    initiative_scope,
    programme_scope,
    totals_of,
)
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


class Memo(Protocol):
    """Roll-ups remembered for one source of records (service/dashboards/summary_memo.py)."""

    def get(self, key: Hashable) -> Any | None: ...
    def put(self, key: Hashable, value: Any) -> None: ...
    def get_many(self, keys: dict[Any, Hashable]) -> dict[Any, Any]:
        """``{name: value}`` of the ``{name: key}`` remembered (one round trip where the
        memo is stored in Redis, as stored_rollups.py's)."""
        ...


class ReadSource(Protocol):
    def totals(self, scopes: list[str]) -> dict[str, Totals]:
        """Each scope's totals."""
        ...

    def kept(self, scopes: list[str], until: date) -> dict[str, tuple[Totals, list[str]]]:
        """Each scope's totals and its open milestones due by ``until``."""
        ...

    def programmes(self) -> list[ProgrammeRecord]: ...
    def programme(self, programme_id: str) -> ProgrammeRecord | None: ...
    def initiative(self, initiative_id: str) -> InitiativeRecord | None: ...
    def initiatives(self, initiative_ids: Iterable[str]) -> list[InitiativeRecord]: ...
    def member_ids(self, family: str, name: str, owner: str) -> set[str]: ...
    def milestones(self, milestone_ids: Iterable[str]) -> list[MilestoneRecord]: ...


_ROW_FIELDS = tuple(f.name for f in fields(MilestoneRecord) if f.name != "applied")


def milestone_row(record: MilestoneRecord, today: date, rules: Thresholds) -> dict[str, Any]:
    t = timing(record, today, rules)
    # Every field is a str, int or None: no need for asdict's deep copy.
    row = {name: getattr(record, name) for name in _ROW_FIELDS}
    row.update(
        overdue=t.overdue,
        days_overdue=t.days_overdue,
        days_until_due=t.days_until_due,
        due_soon=t.due_soon,
        days_since_progress=t.days_since_progress,
        rag={"colour": t.colour, "reasons": list(t.reasons)},
    )
    return row


_BRIEF = (
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


def brief(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in _BRIEF}


def _summary_row(record: MilestoneRecord, today: date, rules: Thresholds) -> dict[str, Any]:
    """What ``summary`` reads of a milestone's row: its brief, and whether it is overdue
    or due soon (a full row holds every field of the record besides)."""
    t = timing(record, today, rules)
    return {
        "milestone_id": record.milestone_id,
        "title": record.title,
        "owner_agency": record.owner_agency,
        "status": record.status,
        "due_date": record.due_date,
        "progress": record.progress,
        "overdue": t.overdue,
        "days_overdue": t.days_overdue,
        "days_until_due": t.days_until_due,
        "due_soon": t.due_soon,
        "rag": {"colour": t.colour, "reasons": list(t.reasons)},
    }


def rollup(records: list[MilestoneRecord], today: date, rules: Thresholds) -> dict[str, Any]:
    """Counts by status and by RAG colour, % complete, overdue and due-soon lists, RAG with
    its reasons, and every milestone's row."""
    rows = _rows(records, today, rules)
    return {**summary(totals_of(rows), rows, rules.summary_rows), "rows": rows}


def _rows(records: list[MilestoneRecord], today: date, rules: Thresholds) -> list[dict[str, Any]]:
    return sorted(
        (milestone_row(r, today, rules) for r in records),
        key=lambda row: (row["due_date"], row["title"]),
    )


def summary(totals: Totals, rows: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """The roll-up of a scope from its totals and the rows (in due-date order, one per
    milestone) of the records that may not be green today: any superset of the open ones
    due by ``attention_until`` and the disputed ones, since the others are green, neither
    overdue nor due soon.

    The overdue and due-soon lists and the RAG reasons hold at most ``limit`` entries each
    (the most overdue, the soonest due, the first reasons); their counts, and
    ``rag.more_reasons`` for the reasons left out, are of every row. A row left out costs
    a comparison, not a brief or a phrase: at 100,000 milestones the whole lists would be
    thousands of rows, most of an answer's size and of the time it takes to send."""
    counted = totals.milestone_count - totals.counts[ms.CANCELLED]
    overdue = [row for row in rows if row["overdue"]]
    # nsmallest is sorted(...)[:limit]: stable, so equally overdue rows keep due-date order.
    most_overdue = heapq.nsmallest(limit, overdue, key=lambda row: -row["days_overdue"])
    due_soon = [row for row in rows if row["due_soon"]]
    colour = worst([row["rag"]["colour"] for row in rows])
    reasons, more_reasons = (
        _reasons([row for row in rows if row["rag"]["colour"] == colour], limit)
        if colour != GREEN
        else ([Phrase("no milestone is disputed, overdue, or due soon without recent progress")], 0)
    )
    return {
        "milestone_count": totals.milestone_count,
        "counts_by_status": dict(totals.counts),
        "counts_by_rag": _counts_by_rag(totals, rows),
        "percent_complete": round(totals.progress_sum / counted, 1) if counted else None,
        "overdue_count": len(overdue),
        "due_soon_count": len(due_soon),
        "overdue": [brief(row) for row in most_overdue],
        "due_soon": [brief(row) for row in due_soon[:limit]],
        "rag": {"colour": colour, "reasons": reasons, "more_reasons": more_reasons},
        "position": totals.position,
    }


def _reasons(rows: list[dict[str, Any]], limit: int) -> tuple[list[Phrase], int]:
    """The first ``limit`` reasons of the rows, each prefixed with its milestone's title,
    and how many more there are."""
    pairs = ((row["title"], reason) for row in rows for reason in row["rag"]["reasons"])
    reasons = [
        Phrase("%(title)s: %(reason)s", title=title, reason=reason)
        for title, reason in itertools.islice(pairs, limit)
    ]
    return reasons, sum(len(row["rag"]["reasons"]) for row in rows) - len(reasons)


def _counts_by_rag(totals: Totals, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Every milestone of the scope by colour, cancelled ones included (they are green):
    the rows' colours, and green for each milestone without a row."""
    by_rag = dict.fromkeys(SEVERITY, 0)
    for row in rows:
        by_rag[row["rag"]["colour"]] += 1
    by_rag[GREEN] += totals.milestone_count - len(rows)
    return by_rag


def scope_summaries(
    source: ReadSource,
    scopes: Iterable[str],
    today: date,
    rules: Thresholds,
    memo: Memo | None = None,
) -> dict[str, tuple[Totals, dict[str, Any]]]:
    """Each scope's totals and roll-up, from what is kept per scope: reads the totals and
    the attention rows, not every milestone (a few round trips however many scopes).
    With a ``memo`` (for one source of records), a scope whose totals are those of a
    roll-up already computed takes it from there: any change to one of its milestones
    moves the totals' position, so only the scopes changed since read their records."""
    scopes, until = list(scopes), attention_until(today, rules)
    found: dict[str, tuple[Totals, dict[str, Any]]] = {}
    if memo is not None:
        memo_keys = {
            scope: _memo_key(scope, today, rules, totals)
            for scope, totals in source.totals(scopes).items()
        }
        found.update(memo.get_many(memo_keys))
    # Read afresh: the totals may have moved since, and the key must be the one the
    # roll-up was computed from.
    kept = source.kept([scope for scope in scopes if scope not in found], until)
    wanted = {i: None for totals, ids in kept.values() for i in [*ids, *totals.disputed]}
    # A milestone counts in its programme, its initiative and its agency: one row each.
    rows = {r.milestone_id: _summary_row(r, today, rules) for r in source.milestones(wanted)}
    for scope, (totals, ids) in kept.items():
        attention = sorted(
            (rows[i] for i in dict.fromkeys([*ids, *totals.disputed]) if i in rows),
            key=lambda row: (row["due_date"], row["title"]),
        )
        found[scope] = (totals, summary(totals, attention, rules.summary_rows))
        if memo is not None:
            memo.put(_memo_key(scope, today, rules, totals), found[scope])
    return {scope: found[scope] for scope in scopes}


def _memo_key(scope: str, today: date, rules: Thresholds, totals: Totals) -> Hashable:
    """Within one source of records, a scope's totals change whenever its attention rows
    may (their ``position`` moves): with the day and the rules, they name the roll-up."""
    return (scope, today, rules, repr(totals))


def initiative_dashboard(
    source: ReadSource,
    initiative_id: str,
    today: date,
    rules: Thresholds,
    memo: Memo | None = None,  # unused: the dashboard lists every row, so reads them all
) -> dict[str, Any] | None:
    initiative = source.initiative(initiative_id)
    if initiative is None:
        return None
    ids = source.member_ids(INITIATIVES, "milestones", initiative_id)
    found = rollup(source.milestones(ids), today, rules)
    milestones = found.pop("rows")
    position = max(found.pop("position"), initiative.position)
    return {**asdict(initiative), **found, "position": position, "milestones": milestones}


def programme_dashboard(
    source: ReadSource,
    programme_id: str,
    today: date,
    rules: Thresholds,
    memo: Memo | None = None,
) -> dict[str, Any] | None:
    programme = source.programme(programme_id)
    if programme is None:
        return None
    return _programme_dashboards(source, [programme], today, rules, memo)[0]


def overview(
    source: ReadSource, today: date, rules: Thresholds, memo: Memo | None = None
) -> list[dict[str, Any]]:
    programmes = sorted(source.programmes(), key=lambda p: p.position)
    return _programme_dashboards(source, programmes, today, rules, memo)


def _programme_dashboards(
    source: ReadSource,
    programmes: list[ProgrammeRecord],
    today: date,
    rules: Thresholds,
    memo: Memo | None,
) -> list[dict[str, Any]]:
    members = {
        p.programme_id: source.member_ids(PROGRAMMES, "initiatives", p.programme_id)
        for p in programmes
    }
    initiatives = {i.initiative_id: i for i in source.initiatives(set().union(*members.values()))}
    scopes = [programme_scope(p.programme_id) for p in programmes]
    scopes += [initiative_scope(i) for i in initiatives]
    summaries = scope_summaries(source, scopes, today, rules, memo)
    dashboards = []
    for programme in programmes:
        rows = []
        for initiative in sorted(
            (initiatives[i] for i in members[programme.programme_id] if i in initiatives),
            key=lambda i: i.position,
        ):
            found = dict(summaries[initiative_scope(initiative.initiative_id)][1])
            position = max(found.pop("position"), initiative.position)
            rows.append({**_fields(initiative), **found, "position": position})
        found = dict(summaries[programme_scope(programme.programme_id)][1])
        position = max([found.pop("position"), programme.position] + [i["position"] for i in rows])
        dashboards.append(
            {**_fields(programme), **found, "position": position, "initiatives": rows}
        )
    return dashboards


def _fields(record: ProgrammeRecord | InitiativeRecord) -> dict[str, Any]:
    """A record's fields, shallow: asdict's deep copy cost more than the rest of a cached
    overview."""
    return {f.name: getattr(record, f.name) for f in fields(record)}
