"""Overdue-milestone alerts: events, the alert state fold and the decisions on it.

An alert is its own aggregate, stream "alert-<id>", where the id is derived from
(milestone, condition, due date). Appending its first event with expected version 0
is what makes "raise once per milestone per condition" hold, even with two scanners.
Timestamps live in the payloads because escalation is decided from them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import reduce

from service.tracking.domain import events as ev

NAMESPACE = uuid.UUID("6f1d4c1e-58a2-4b7e-9d59-2b0f7c0a4a11")
OVERDUE = "overdue"
OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
STATES = (OPEN, ACKNOWLEDGED, RESOLVED)
SEVERITIES = ("low", "medium", "high")
# Who is told, in escalation order: the agency doing the work, then the initiative's
# lead, then the oversight office.
LEVELS = ("owner_agency", "initiative_lead", "oversight")
MAX_NOTE = 2000


@ev.register
@dataclass(frozen=True)
class AlertRaised(ev.DomainEvent):
    alert_id: str
    milestone_id: str
    initiative_id: str
    programme_id: str
    owner_agency: str
    milestone_title: str
    condition: str
    severity: str
    due_date: str
    level: str
    raised_at: str


@ev.register
@dataclass(frozen=True)
class AlertEscalated(ev.DomainEvent):
    previous_level: str
    level: str
    escalated_at: str


@ev.register
@dataclass(frozen=True)
class AlertRenotified(ev.DomainEvent):
    """Still unacknowledged at the last level: tell the same audience again."""

    level: str
    renotified_at: str


@ev.register
@dataclass(frozen=True)
class AlertAcknowledged(ev.DomainEvent):
    note: str
    acknowledged_at: str


@ev.register
@dataclass(frozen=True)
class AlertResolved(ev.DomainEvent):
    cause: str  # verified | cancelled | rescheduled | superseded
    detail: str
    resolved_at: str


@dataclass(frozen=True)
class Alert:
    alert_id: str
    milestone_id: str
    initiative_id: str
    programme_id: str
    owner_agency: str
    milestone_title: str
    condition: str
    severity: str
    due_date: date
    level: str
    raised_at: datetime
    last_notified_at: datetime
    state: str = OPEN
    escalations: int = 0
    renotifications: int = 0
    acknowledged_note: str | None = None
    resolved_cause: str | None = None

    @property
    def active(self) -> bool:
        return self.state != RESOLVED

    def days_overdue(self, today: date) -> int:
        return max(0, (today - self.due_date).days)


def alert_id(milestone_id: str, condition: str, due_date: date) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{milestone_id}:{condition}:{due_date.isoformat()}"))


def stream_of(alert_id_: str) -> str:
    return f"alert-{alert_id_}"


def evolve(state: Alert | None, event: ev.DomainEvent) -> Alert:
    if isinstance(event, AlertRaised):
        at = datetime.fromisoformat(event.raised_at)
        fields = {k: v for k, v in event.to_payload().items() if k != "raised_at"}
        fields["due_date"] = date.fromisoformat(event.due_date)
        return Alert(**fields, raised_at=at, last_notified_at=at)
    if state is None:
        raise ValueError(f"{event.type} before AlertRaised")
    if isinstance(event, AlertEscalated):
        at = datetime.fromisoformat(event.escalated_at)
        return replace(
            state, level=event.level, last_notified_at=at, escalations=state.escalations + 1
        )
    if isinstance(event, AlertRenotified):
        at = datetime.fromisoformat(event.renotified_at)
        return replace(state, last_notified_at=at, renotifications=state.renotifications + 1)
    if isinstance(event, AlertAcknowledged):
        return replace(state, state=ACKNOWLEDGED, acknowledged_note=event.note)
    if isinstance(event, AlertResolved):
        return replace(state, state=RESOLVED, resolved_cause=event.cause)
    raise ValueError(f"alert cannot apply {event.type}")


def fold(events: Iterable[ev.DomainEvent]) -> Alert | None:
    return reduce(evolve, events, None)  # type: ignore[arg-type]
