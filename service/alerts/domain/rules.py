"""Alert decisions: which condition a milestone is in, and what happens to its alerts.

Pure functions of (state, facts, now); the scanner supplies the facts from read models
and appends whatever these return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from service.alerts.domain import alerts as al
from service.ledger.domain.errors import DomainError, InvalidValue
from service.tracking.domain import events as ev
from service.tracking.domain.milestone import CANCELLED, FINAL, VERIFIED


@dataclass(frozen=True)
class DueMilestone:
    """What the scanner knows about a milestone from its read model."""

    milestone_id: str
    initiative_id: str
    programme_id: str
    owner_agency: str
    title: str
    due_date: date
    status: str


def condition_for(due_date: date, today: date, lead_days: tuple[int, ...]) -> str | None:
    """The most urgent condition that holds: overdue, else the shortest lead time reached.

    Only the most urgent one is raised, so a milestone first seen two days before its
    due date gets "due_in_3", not also "due_in_14".
    """
    days_left = (due_date - today).days
    if days_left < 0:
        return al.OVERDUE
    for lead in sorted(lead_days):
        if days_left <= lead:
            return f"due_in_{lead}"
    return None


def severity_of(condition: str, lead_days: tuple[int, ...]) -> str:
    if condition == al.OVERDUE:
        return "high"
    return "medium" if condition == f"due_in_{min(lead_days)}" else "low"


def raise_alert(
    milestone: DueMilestone, condition: str, now: datetime, lead_days: tuple[int, ...]
) -> list[ev.DomainEvent]:
    if milestone.status in FINAL:
        raise DomainError("illegal_transition", f"a {milestone.status} milestone is not due")
    return [
        al.AlertRaised(
            alert_id=al.alert_id(milestone.milestone_id, condition, milestone.due_date),
            milestone_id=milestone.milestone_id,
            initiative_id=milestone.initiative_id,
            programme_id=milestone.programme_id,
            owner_agency=milestone.owner_agency,
            milestone_title=milestone.title,
            condition=condition,
            severity=severity_of(condition, lead_days),
            due_date=milestone.due_date.isoformat(),
            level=al.LEVELS[0],
            raised_at=now.isoformat(),
        )
    ]


def resolution(
    alert: al.Alert, milestone: DueMilestone, today: date, lead_days: tuple[int, ...]
) -> tuple[str, str] | None:
    """Why an active alert no longer applies to the milestone as it is now, if it doesn't."""
    if milestone.status == VERIFIED:
        return "verified", "completion of the milestone was verified"
    if milestone.status == CANCELLED:
        return "cancelled", "the milestone was cancelled"
    if milestone.due_date != alert.due_date:
        return "rescheduled", (
            f"due date moved from {alert.due_date.isoformat()} to {milestone.due_date.isoformat()}"
        )
    current = condition_for(milestone.due_date, today, lead_days)
    if current != alert.condition:
        return "superseded", f"the milestone is now {current or 'not due soon'}"
    return None


def resolve(alert: al.Alert, cause: str, detail: str, now: datetime) -> list[ev.DomainEvent]:
    if alert.state == al.RESOLVED:
        raise DomainError("illegal_transition", "the alert is already resolved")
    return [al.AlertResolved(cause=cause, detail=detail, resolved_at=now.isoformat())]


def escalate(alert: al.Alert, now: datetime, after: timedelta) -> list[ev.DomainEvent]:
    """One step up the levels when nobody acknowledged in time; at the top, tell again."""
    if alert.state != al.OPEN or now - alert.last_notified_at < after:
        return []
    index = al.LEVELS.index(alert.level)
    if index + 1 < len(al.LEVELS):
        return [
            al.AlertEscalated(
                previous_level=alert.level,
                level=al.LEVELS[index + 1],
                escalated_at=now.isoformat(),
            )
        ]
    return [al.AlertRenotified(level=alert.level, renotified_at=now.isoformat())]


def acknowledge(alert: al.Alert, note: str, now: datetime) -> list[ev.DomainEvent]:
    note = note.strip()
    if not note:
        raise InvalidValue("note", "note is required", rule="required")
    if len(note) > al.MAX_NOTE:
        message = f"note is longer than {al.MAX_NOTE} characters"
        raise InvalidValue("note", message, rule="too_long", limit=al.MAX_NOTE)
    if alert.state != al.OPEN:
        raise DomainError(
            "illegal_transition",
            f"cannot acknowledge an alert that is {alert.state}",
            params={"action": "acknowledge", "state": alert.state},
        )
    return [al.AlertAcknowledged(note=note, acknowledged_at=now.isoformat())]
