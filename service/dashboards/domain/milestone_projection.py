"""How one event of a milestone stream changes that milestone's read-model record.

The record follows the same lifecycle as service.tracking.domain.milestone, plus the dashboard
facts the aggregate does not need: when progress was last made, who verified, when the
completion was claimed. Events are facts, so nothing here refuses an event — except an
event out of stream order, which means the projector lost or repeated one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields
from typing import Any

from service.dashboards.domain.readmodel import LoggedEvent, MilestoneRecord
from service.tracking.domain import milestone as ms

CLOSED = ms.FINAL


class ProjectionGap(Exception):
    """An event arrived out of stream order: the read model would silently diverge."""


Facts = dict[str, Any]  # a MilestoneRecord as a dict: the projector's hot path copies dicts


def _progress(event: LoggedEvent, **changes: Any) -> Facts:
    return {"last_progress_at": event.recorded_at, **changes}


def _rescheduled(record: Facts, event: LoggedEvent) -> Facts:
    p = event.payload
    return {
        "due_date": p["new_due_date"],
        "slip_days": record["slip_days"] + p["slip_days"],
        "replan_count": record["replan_count"] + 1,
    }


# Event type -> the fields it changes.
_CHANGES: dict[str, Callable[[Facts, LoggedEvent], Facts]] = {
    "MilestoneStarted": lambda r, e: _progress(e, status=ms.IN_PROGRESS),
    "ProgressReported": lambda r, e: _progress(
        e, status=ms.IN_PROGRESS, progress=e.payload["percent"]
    ),
    "MilestoneRescheduled": _rescheduled,
    "MilestoneBlocked": lambda r, e: {"status": ms.BLOCKED, "blocked_reason": e.payload["reason"]},
    "MilestoneUnblocked": lambda r, e: {"status": ms.IN_PROGRESS, "blocked_reason": None},
    "EvidenceAttached": lambda r, e: _progress(e, evidence_count=r["evidence_count"] + 1),
    "MilestoneReportedComplete": lambda r, e: _progress(
        e,
        status=ms.REPORTED_COMPLETE,
        progress=100,
        dispute_reason=None,
        reported_complete_at=e.recorded_at,
    ),
    "CompletionVerified": lambda r, e: {
        "status": ms.VERIFIED,
        "verified_at": e.recorded_at,
        "verified_by": e.actor.get("token_id"),
    },
    "CompletionDisputed": lambda r, e: {
        "status": ms.DISPUTED,
        "dispute_reason": e.payload["reason"],
    },
    "MilestoneCancelled": lambda r, e: {
        "status": ms.CANCELLED,
        "cancel_reason": e.payload["reason"],
    },
    "CommentAdded": lambda r, e: {"comment_count": r["comment_count"] + 1},
}


# MilestoneRecord's defaults, taken once: asdict() per new milestone was a third of the
# projector's time (it deep-copies).
_DEFAULTS: Facts = {f.name: f.default for f in fields(MilestoneRecord) if f.default is not MISSING}


def _planned(event: LoggedEvent) -> Facts:
    p = event.payload
    return {
        **_DEFAULTS,
        "milestone_id": p["milestone_id"],
        "initiative_id": p["initiative_id"],
        "programme_id": p["programme_id"],
        "title": p["title"],
        "owner_agency": p["owner_agency"],
        "planned_start": p["planned_start"],
        "planned_due_date": p["due_date"],
        "due_date": p["due_date"],
    }


def apply(before: Facts | None, event: LoggedEvent) -> Facts:
    expected = (before["version"] if before else 0) + 1
    if event.version != expected:
        raise ProjectionGap(
            f"{event.stream}: expected version {expected}, got {event.version} "
            f"(log position {event.position})"
        )
    if before is None:
        if event.type != "MilestonePlanned":
            raise ProjectionGap(f"{event.stream}: {event.type} before MilestonePlanned")
        before = _planned(event)
        changes: Facts = {}
    else:
        step = _CHANGES.get(event.type)
        # Events no dashboard shows (alerts, future types) still advance the version.
        changes = step(before, event) if step else {}
    return {
        **before,
        **changes,
        "last_update": event.recorded_at,
        "version": event.version,
        "applied": before["applied"] + 1,
        "position": event.position,
    }
