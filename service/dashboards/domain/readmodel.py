"""Read-model records: the facts a dashboard needs, kept per milestone, initiative,
programme and agency.

Records hold only facts that do not change with the passing of time (dates as ISO
strings, statuses, counters). Whatever depends on "today" — overdue, due soon, RAG — is
derived when a dashboard is read (service.dashboards.domain.dashboards), so a record never
goes stale between two events.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Protocol

# The read-model families, each rebuildable on its own from the log.
MILESTONES = "milestones"
INITIATIVES = "initiatives"
PROGRAMMES = "programmes"
AGENCIES = "agencies"
FAMILIES = (MILESTONES, INITIATIVES, PROGRAMMES, AGENCIES)


@dataclass(frozen=True, slots=True)
class MilestoneRecord:
    milestone_id: str
    initiative_id: str
    programme_id: str
    title: str
    owner_agency: str
    planned_start: str
    planned_due_date: str  # the baseline, never moved by a reschedule
    due_date: str  # the due date in force now
    status: str = "planned"
    progress: int = 0
    slip_days: int = 0
    replan_count: int = 0
    evidence_count: int = 0
    comment_count: int = 0
    blocked_reason: str | None = None
    dispute_reason: str | None = None
    cancel_reason: str | None = None
    reported_complete_at: str | None = None  # the latest completion claim
    verified_at: str | None = None
    verified_by: str | None = None  # token id of the overseer who verified
    last_progress_at: str | None = None  # start, progress, evidence or completion claim
    last_update: str = ""
    # Log bookkeeping: the last stream version and log position folded in, and how many
    # events were applied. applied != version reveals an event applied twice (or lost).
    version: int = 0
    applied: int = 0
    position: int = 0


@dataclass(frozen=True, slots=True)
class InitiativeRecord:
    initiative_id: str
    programme_id: str
    title: str
    description: str
    owner_agency: str
    lead: str
    launched_at: str
    position: int


@dataclass(frozen=True, slots=True)
class ProgrammeRecord:
    programme_id: str
    title: str
    description: str
    lead_agency: str
    created_at: str
    position: int


@dataclass(frozen=True, slots=True)
class AgencyRecord:
    agency: str
    position: int  # the last milestone planned for this agency


Record = MilestoneRecord | InitiativeRecord | ProgrammeRecord | AgencyRecord

RECORD_TYPES: dict[str, type[Any]] = {
    MILESTONES: MilestoneRecord,
    INITIATIVES: InitiativeRecord,
    PROGRAMMES: ProgrammeRecord,
    AGENCIES: AgencyRecord,
}
_FIELDS = {family: {f.name for f in fields(cls)} for family, cls in RECORD_TYPES.items()}


def record_from_dict(family: str, data: dict[str, Any]) -> Any:
    """Rebuild a stored record, ignoring fields a newer version may have added."""
    known = _FIELDS[family]
    if known.issuperset(data):  # as this version wrote it: no copy (dashboards read thousands)
        return RECORD_TYPES[family](**data)
    return RECORD_TYPES[family](**{k: v for k, v in data.items() if k in known})


class LoggedEvent(Protocol):
    """What the projection reads of a recorded event (service.ledger.domain.chain.RecordedEvent)."""

    @property
    def stream(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def position(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def recorded_at(self) -> str: ...
    @property
    def actor(self) -> dict[str, Any]: ...
    @property
    def payload(self) -> dict[str, Any]: ...
