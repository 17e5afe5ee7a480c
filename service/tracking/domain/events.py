"""The event catalogue: facts in past tense, as frozen dataclasses.

Payloads hold only JSON-native values (dates as ISO strings) so that the canonical
encoding used by the hash chain is stable across versions of Python and libraries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.ledger.domain.event import DomainEvent as DomainEvent  # the catalogue's base


@dataclass(frozen=True)
class ProgrammeCreated(DomainEvent):
    programme_id: str
    title: str
    description: str
    lead_agency: str


@dataclass(frozen=True)
class InitiativeLaunched(DomainEvent):
    initiative_id: str
    programme_id: str
    title: str
    description: str
    owner_agency: str
    lead: str


@dataclass(frozen=True)
class MilestonePlanned(DomainEvent):
    milestone_id: str
    initiative_id: str
    programme_id: str
    title: str
    description: str
    owner_agency: str
    planned_start: str
    due_date: str


@dataclass(frozen=True)
class MilestoneStarted(DomainEvent):
    note: str


@dataclass(frozen=True)
class ProgressReported(DomainEvent):
    percent: int
    note: str


@dataclass(frozen=True)
class MilestoneRescheduled(DomainEvent):
    previous_due_date: str
    new_due_date: str
    slip_days: int
    reason: str


@dataclass(frozen=True)
class MilestoneBlocked(DomainEvent):
    reason: str


@dataclass(frozen=True)
class MilestoneUnblocked(DomainEvent):
    note: str


@dataclass(frozen=True)
class EvidenceAttached(DomainEvent):
    uri: str
    sha256: str
    media_type: str
    captured_at: str
    description: str


@dataclass(frozen=True)
class MilestoneReportedComplete(DomainEvent):
    note: str


@dataclass(frozen=True)
class CompletionVerified(DomainEvent):
    note: str


@dataclass(frozen=True)
class CompletionDisputed(DomainEvent):
    reason: str


@dataclass(frozen=True)
class MilestoneCancelled(DomainEvent):
    reason: str


@dataclass(frozen=True)
class CommentAdded(DomainEvent):
    text: str


CATALOGUE: dict[str, type[DomainEvent]] = {
    cls.__name__: cls
    for cls in (
        ProgrammeCreated,
        InitiativeLaunched,
        MilestonePlanned,
        MilestoneStarted,
        ProgressReported,
        MilestoneRescheduled,
        MilestoneBlocked,
        MilestoneUnblocked,
        EvidenceAttached,
        MilestoneReportedComplete,
        CompletionVerified,
        CompletionDisputed,
        MilestoneCancelled,
        CommentAdded,
    )
}


def register(cls: type[DomainEvent]) -> type[DomainEvent]:
    """Add an event type defined elsewhere (e.g. alerts) to the catalogue."""
    CATALOGUE[cls.__name__] = cls
    return cls


def from_payload(event_type: str, payload: dict[str, Any]) -> DomainEvent:
    try:
        cls = CATALOGUE[event_type]
    except KeyError:
        raise ValueError(f"unknown event type {event_type!r}") from None
    return cls(**payload)
