"""The projection: one logged event (plus the current record it touches) -> read-model changes.

Pure: no Redis, no clock. The projector applies the changes to Redis in batches; as-of
queries and tests apply them to an in-memory Snapshot. Events of streams or types that no
read model cares about (alerts, for example) produce no change, except that every event of
a milestone stream advances that milestone's version, so gaps and repeats are detected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from service.dashboards.domain import milestone_projection
from service.dashboards.domain.milestone_projection import Facts
from service.dashboards.domain.readmodel import (
    AGENCIES,
    FAMILIES,
    INITIATIVES,
    MILESTONES,
    PROGRAMMES,
    AgencyRecord,
    InitiativeRecord,
    LoggedEvent,
    ProgrammeRecord,
    Record,
)


class View(Protocol):
    """The current state of the milestone records a batch touches (as dicts)."""

    def milestone(self, milestone_id: str) -> Facts | None: ...


@dataclass(frozen=True, slots=True)
class Put:
    family: str
    key: str
    record: Record | Facts  # milestone records travel as dicts (see milestone_projection)


@dataclass(frozen=True, slots=True)
class AddMember:
    """Add ``member`` to the set ``name`` of ``owner`` (e.g. an initiative's milestones)."""

    family: str
    name: str
    owner: str
    member: str


@dataclass(frozen=True, slots=True)
class IndexDue:
    """Put a milestone in the due-date index at ``ordinal``, or take it out (None)."""

    milestone_id: str
    ordinal: int | None

    family = MILESTONES


Change = Put | AddMember | IndexDue


ALL_FAMILIES = frozenset(FAMILIES)


def milestone_id_of(stream: str) -> str | None:
    kind, _, aggregate_id = stream.partition("-")
    return aggregate_id if kind == "milestone" else None


def project(
    event: LoggedEvent, view: View, families: frozenset[str] = ALL_FAMILIES
) -> list[Change]:
    """The changes ``event`` makes to the read-model ``families`` (default: all of them)."""
    milestone_id = milestone_id_of(event.stream)
    if milestone_id is not None:
        return _milestone_changes(event, milestone_id, view, families)
    if event.type == "ProgrammeCreated":
        p = event.payload
        record = ProgrammeRecord(
            p["programme_id"],
            p["title"],
            p["description"],
            p["lead_agency"],
            event.recorded_at,
            event.position,
        )
        return [Put(PROGRAMMES, record.programme_id, record)] if PROGRAMMES in families else []
    if event.type == "InitiativeLaunched":
        p = event.payload
        initiative = InitiativeRecord(
            p["initiative_id"],
            p["programme_id"],
            p["title"],
            p["description"],
            p["owner_agency"],
            p["lead"],
            event.recorded_at,
            event.position,
        )
        changes: list[Change] = [
            Put(INITIATIVES, initiative.initiative_id, initiative),
            AddMember(PROGRAMMES, "initiatives", initiative.programme_id, initiative.initiative_id),
        ]
        return [change for change in changes if change.family in families]
    return []


def _milestone_changes(
    event: LoggedEvent, milestone_id: str, view: View, families: frozenset[str]
) -> list[Change]:
    changes: list[Change] = []
    # Only the milestone family needs the previous record; the others are built from the
    # MilestonePlanned payload alone, so each family can be rebuilt without the others.
    if MILESTONES in families:
        before = view.milestone(milestone_id)
        after = milestone_projection.apply(before, event)
        changes.append(Put(MILESTONES, milestone_id, after))
        if before is None or _due_ordinal(before) != _due_ordinal(after):
            changes.append(IndexDue(milestone_id, _due_ordinal(after)))
    if event.type == "MilestonePlanned":
        p = event.payload
        planned: list[Change] = [
            AddMember(INITIATIVES, "milestones", p["initiative_id"], milestone_id),
            AddMember(PROGRAMMES, "milestones", p["programme_id"], milestone_id),
            AddMember(AGENCIES, "milestones", p["owner_agency"], milestone_id),
            Put(AGENCIES, p["owner_agency"], AgencyRecord(p["owner_agency"], event.position)),
        ]
        changes += [change for change in planned if change.family in families]
    return changes


def _due_ordinal(record: Facts) -> int | None:
    """Only milestones that can still fall overdue are in the due-date index."""
    if record["status"] in milestone_projection.CLOSED:
        return None
    return date.fromisoformat(record["due_date"]).toordinal()
