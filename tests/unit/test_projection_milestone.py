"""The milestone record: what each event changes, and the refusal of events out of order."""

from __future__ import annotations

from datetime import date

import pytest

from service.dashboards.domain.milestone_projection import ProjectionGap, apply
from service.dashboards.domain.projections import AddMember, IndexDue, Put, project
from service.dashboards.domain.snapshot import Snapshot, fold
from service.tracking.domain import events as ev
from service.tracking.domain import milestone as ms
from tests.unit.projection_events import Log

M = "milestone-m1"


def planned(due: str = "2026-12-01") -> list[ev.DomainEvent]:
    return ms.plan(
        milestone_id="m1",
        initiative_id="i1",
        programme_id="p1",
        title="Body cameras",
        description="",
        owner_agency="PGO",
        planned_start=date(2026, 1, 1),
        due_date=date.fromisoformat(due),
    )


def test_lifecycle_facts() -> None:
    log = Log()
    log.add(M, *planned())
    log.add(M, ev.MilestoneStarted("go"), at="2026-02-01")
    log.add(M, ev.MilestoneRescheduled("2026-12-01", "2027-01-10", 40, "tender"))
    log.add(M, ev.MilestoneRescheduled("2027-01-10", "2027-01-05", -5, "faster"))
    log.add(
        M,
        ev.EvidenceAttached("https://e/x", "a" * 64, "application/pdf", "2026-03-01", ""),
        at="2026-03-02",
    )
    log.add(M, ev.CommentAdded("note"))
    log.add(M, ev.MilestoneReportedComplete("done"), at="2026-04-01")
    log.add(M, ev.CompletionVerified("checked"), at="2026-04-03")
    record = fold(log.events).milestone("m1")
    assert record is not None
    assert (record["planned_due_date"], record["due_date"]) == ("2026-12-01", "2027-01-05")
    assert (record["slip_days"], record["replan_count"]) == (35, 2)
    assert (record["evidence_count"], record["comment_count"], record["progress"]) == (1, 1, 100)
    assert record["last_progress_at"].startswith("2026-04-01")
    assert record["reported_complete_at"].startswith("2026-04-01")
    assert record["status"] == "verified" and record["verified_by"] == "t1"
    assert record["verified_at"].startswith("2026-04-03")
    assert record["version"] == record["applied"] == 8 and record["position"] == 8


def test_dispute_then_new_claim_clears_the_dispute() -> None:
    log = Log()
    log.add(
        M,
        *planned(),
        ev.MilestoneStarted(""),
        ev.MilestoneReportedComplete(""),
        ev.CompletionDisputed("no footage"),
    )
    assert fold(log.events).milestone("m1")["dispute_reason"] == "no footage"  # type: ignore[index]
    log.add(M, ev.MilestoneReportedComplete("footage attached"))
    record = fold(log.events).milestone("m1")
    assert record is not None and record["status"] == "reported_complete"
    assert record["dispute_reason"] is None


def test_due_index_holds_only_milestones_that_can_fall_overdue() -> None:
    log = Log()
    [plan] = log.add(M, *planned("2026-12-01"))
    changes = project(plan, Snapshot())
    assert IndexDue("m1", date(2026, 12, 1).toordinal()) in changes
    assert AddMember("initiatives", "milestones", "i1", "m1") in changes
    assert AddMember("agencies", "milestones", "PGO", "m1") in changes
    log.add(M, ev.MilestoneCancelled("dropped"))
    assert "m1" not in fold(log.events).due


def test_unknown_event_types_still_advance_the_version() -> None:
    log = Log()
    log.add(M, *planned())
    snapshot = fold(log.events)
    alien = log.add(M, ev.CommentAdded("x"))[0]
    alien = type(alien)(alien.stream, alien.version, alien.position, "AlertRaised", {})
    snapshot.apply(alien)
    record = snapshot.milestone("m1")
    assert record is not None and record["version"] == 2 and record["comment_count"] == 0


def test_an_event_applied_twice_or_skipped_is_refused() -> None:
    log = Log()
    first, second, third = log.add(M, *planned(), ev.MilestoneStarted(""), ev.CommentAdded("c"))
    record = apply(apply(None, first), second)
    with pytest.raises(ProjectionGap, match="expected version 3, got 2"):
        apply(record, second)
    with pytest.raises(ProjectionGap):
        apply(apply(None, first), third)
    with pytest.raises(ProjectionGap, match="before MilestonePlanned"):
        apply(None, log.add("milestone-m2", ev.CommentAdded("c"))[0])


def test_projection_by_family_needs_no_other_family() -> None:
    log = Log()
    [plan] = log.add(M, *planned())
    only_agencies = project(plan, Snapshot(), frozenset({"agencies"}))
    assert {change.family for change in only_agencies} == {"agencies"}
    assert any(isinstance(c, Put) and c.key == "PGO" for c in only_agencies)
