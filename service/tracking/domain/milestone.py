"""Milestone aggregate: state as a fold over its events, and the decisions on it.

Status lifecycle (delivery-unit practice):

    planned -> in_progress -> (blocked <-> in_progress) -> reported_complete
    reported_complete -> verified | disputed;   disputed -> in_progress | reported_complete
    any status that is not final -> cancelled   (final: verified, cancelled)

Overdue is derived from the due date and never stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import reduce

from service.ledger.domain.errors import IllegalTransition, InvalidValue
from service.tracking.domain import events as ev

PLANNED = "planned"
IN_PROGRESS = "in_progress"
BLOCKED = "blocked"
REPORTED_COMPLETE = "reported_complete"
VERIFIED = "verified"
DISPUTED = "disputed"
CANCELLED = "cancelled"
STATUSES = (PLANNED, IN_PROGRESS, BLOCKED, REPORTED_COMPLETE, VERIFIED, DISPUTED, CANCELLED)
FINAL = frozenset({VERIFIED, CANCELLED})

MAX_TEXT = 2000
SHA256_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Milestone:
    milestone_id: str
    initiative_id: str
    programme_id: str
    title: str
    description: str
    owner_agency: str
    planned_start: date
    planned_due_date: date
    due_date: date
    status: str = PLANNED
    progress: int = 0
    slip_days: int = 0
    replan_count: int = 0
    evidence_count: int = 0
    blocked_reason: str | None = None
    dispute_reason: str | None = None
    cancel_reason: str | None = None
    comment_count: int = 0

    def is_overdue(self, today: date) -> bool:
        return self.status not in FINAL and today > self.due_date

    def days_overdue(self, today: date) -> int:
        return (today - self.due_date).days if self.is_overdue(today) else 0


def evolve(state: Milestone | None, event: ev.DomainEvent) -> Milestone:
    """Apply one event. Events are facts: evolve never refuses, decisions do."""
    if isinstance(event, ev.MilestonePlanned):
        due = date.fromisoformat(event.due_date)
        return Milestone(
            milestone_id=event.milestone_id,
            initiative_id=event.initiative_id,
            programme_id=event.programme_id,
            title=event.title,
            description=event.description,
            owner_agency=event.owner_agency,
            planned_start=date.fromisoformat(event.planned_start),
            planned_due_date=due,
            due_date=due,
        )
    if state is None:
        raise ValueError(f"{event.type} before MilestonePlanned")
    if isinstance(event, ev.MilestoneStarted):
        return replace(state, status=IN_PROGRESS)
    if isinstance(event, ev.ProgressReported):
        return replace(state, status=IN_PROGRESS, progress=event.percent)
    if isinstance(event, ev.MilestoneRescheduled):
        return replace(
            state,
            due_date=date.fromisoformat(event.new_due_date),
            slip_days=state.slip_days + event.slip_days,
            replan_count=state.replan_count + 1,
        )
    if isinstance(event, ev.MilestoneBlocked):
        return replace(state, status=BLOCKED, blocked_reason=event.reason)
    if isinstance(event, ev.MilestoneUnblocked):
        return replace(state, status=IN_PROGRESS, blocked_reason=None)
    if isinstance(event, ev.EvidenceAttached):
        return replace(state, evidence_count=state.evidence_count + 1)
    if isinstance(event, ev.MilestoneReportedComplete):
        return replace(state, status=REPORTED_COMPLETE, progress=100, dispute_reason=None)
    if isinstance(event, ev.CompletionVerified):
        return replace(state, status=VERIFIED)
    if isinstance(event, ev.CompletionDisputed):
        return replace(state, status=DISPUTED, dispute_reason=event.reason)
    if isinstance(event, ev.MilestoneCancelled):
        return replace(state, status=CANCELLED, cancel_reason=event.reason)
    if isinstance(event, ev.CommentAdded):
        return replace(state, comment_count=state.comment_count + 1)
    raise ValueError(f"milestone cannot apply {event.type}")


def fold(events: Iterable[ev.DomainEvent]) -> Milestone | None:
    return reduce(evolve, events, None)  # type: ignore[arg-type]


# --- decisions -------------------------------------------------------------------------


def _text(field: str, value: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidValue(field, f"{field} is required")
    if len(value) > limit:
        raise InvalidValue(field, f"{field} is longer than {limit} characters")
    return value


def _require(state: Milestone, action: str, allowed: set[str] | frozenset[str]) -> None:
    if state.status not in allowed:
        raise IllegalTransition(action, state.status)


def plan(
    *,
    milestone_id: str,
    initiative_id: str,
    programme_id: str,
    title: str,
    description: str,
    owner_agency: str,
    planned_start: date,
    due_date: date,
) -> list[ev.DomainEvent]:
    if due_date < planned_start:
        raise InvalidValue("due_date", "due date is before the planned start")
    return [
        ev.MilestonePlanned(
            milestone_id=milestone_id,
            initiative_id=initiative_id,
            programme_id=programme_id,
            title=_text("title", title, limit=200),
            description=_text("description", description, required=False),
            owner_agency=owner_agency,
            planned_start=planned_start.isoformat(),
            due_date=due_date.isoformat(),
        )
    ]


def start(state: Milestone, note: str = "") -> list[ev.DomainEvent]:
    _require(state, "start", {PLANNED})
    return [ev.MilestoneStarted(note=_text("note", note, required=False))]


def report_progress(state: Milestone, percent: int, note: str = "") -> list[ev.DomainEvent]:
    if not 0 <= percent <= 100:
        raise InvalidValue("percent", "percent must be between 0 and 100")
    _require(state, "report progress on", {IN_PROGRESS, DISPUTED})
    return [ev.ProgressReported(percent=percent, note=_text("note", note, required=False))]


def reschedule(state: Milestone, new_due_date: date, reason: str) -> list[ev.DomainEvent]:
    reason = _text("reason", reason)
    _require(state, "reschedule", set(STATUSES) - FINAL)
    if new_due_date < state.planned_start:
        raise InvalidValue("new_due_date", "new due date is before the planned start")
    if new_due_date == state.due_date:
        raise InvalidValue("new_due_date", "new due date equals the current due date")
    return [
        ev.MilestoneRescheduled(
            previous_due_date=state.due_date.isoformat(),
            new_due_date=new_due_date.isoformat(),
            slip_days=(new_due_date - state.due_date).days,
            reason=reason,
        )
    ]


def block(state: Milestone, reason: str) -> list[ev.DomainEvent]:
    reason = _text("reason", reason)
    _require(state, "block", {IN_PROGRESS})
    return [ev.MilestoneBlocked(reason=reason)]


def unblock(state: Milestone, note: str = "") -> list[ev.DomainEvent]:
    _require(state, "unblock", {BLOCKED})
    return [ev.MilestoneUnblocked(note=_text("note", note, required=False))]


def attach_evidence(
    state: Milestone,
    *,
    uri: str,
    sha256: str,
    media_type: str,
    captured_at: str,
    description: str = "",
) -> list[ev.DomainEvent]:
    _require(state, "attach evidence to", set(STATUSES) - FINAL)
    digest = sha256.strip().lower()
    if len(digest) != 64 or not set(digest) <= SHA256_HEX:
        raise InvalidValue("sha256", "sha256 must be 64 hexadecimal characters")
    return [
        ev.EvidenceAttached(
            uri=_text("uri", uri, limit=2048),
            sha256=digest,
            media_type=_text("media_type", media_type, limit=255),
            captured_at=captured_at,
            description=_text("description", description, required=False),
        )
    ]


def report_complete(state: Milestone, note: str = "") -> list[ev.DomainEvent]:
    _require(state, "report complete", {IN_PROGRESS, DISPUTED})
    return [ev.MilestoneReportedComplete(note=_text("note", note, required=False))]


def verify(state: Milestone, note: str = "") -> list[ev.DomainEvent]:
    _require(state, "verify", {REPORTED_COMPLETE})
    return [ev.CompletionVerified(note=_text("note", note, required=False))]


def dispute(state: Milestone, reason: str) -> list[ev.DomainEvent]:
    reason = _text("reason", reason)
    _require(state, "dispute", {REPORTED_COMPLETE})
    return [ev.CompletionDisputed(reason=reason)]


def cancel(state: Milestone, reason: str) -> list[ev.DomainEvent]:
    reason = _text("reason", reason)
    _require(state, "cancel", set(STATUSES) - FINAL)
    return [ev.MilestoneCancelled(reason=reason)]


def comment(state: Milestone, text: str) -> list[ev.DomainEvent]:
    return [ev.CommentAdded(text=_text("text", text))]
