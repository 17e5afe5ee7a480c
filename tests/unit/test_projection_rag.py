"""The RAG rules at their boundaries, with the thresholds taken from the configuration."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from service.dashboards.domain.rag import Thresholds, timing
from service.dashboards.domain.readmodel import MilestoneRecord

TODAY = date(2026, 11, 25)
RULES = Thresholds(red_overdue_days=30, amber_due_within_days=14, amber_stale_days=30)


def record(
    due_in: int, status: str = "in_progress", progress_days_ago: int | None = 0, **extra: object
) -> MilestoneRecord:
    due = (TODAY + timedelta(days=due_in)).isoformat()
    last = (
        None
        if progress_days_ago is None
        else f"{TODAY - timedelta(days=progress_days_ago)}T12:00:00.000000Z"
    )
    return MilestoneRecord(
        "m",
        "i",
        "p",
        "Body cameras",
        "PGO",
        "2026-01-01",
        due,
        due,
        status=status,
        last_progress_at=last,
        **extra,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("due_in", "colour", "reason"),
    [
        (-31, "red", "31 days overdue (more than 30)"),
        (-30, "amber", "30 days overdue"),
        (-1, "amber", "1 days overdue"),
        (0, "green", "on track"),  # due today is not overdue yet
    ],
)
def test_overdue(due_in: int, colour: str, reason: str) -> None:
    found = timing(record(due_in), TODAY, RULES)
    assert (found.colour, found.reasons) == (colour, (reason,))
    assert found.overdue == (due_in < 0) and found.days_overdue == max(0, -due_in)


@pytest.mark.parametrize(
    ("due_in", "progress_days_ago", "colour"),
    [
        (14, 31, "amber"),  # due soon, stale
        (14, 30, "green"),  # progress exactly 30 days ago still counts as recent
        (15, 31, "green"),  # stale but not due soon
        (0, None, "amber"),  # due today, never any progress
    ],
)
def test_due_soon_without_progress(due_in: int, progress_days_ago: int | None, colour: str) -> None:
    found = timing(record(due_in, progress_days_ago=progress_days_ago), TODAY, RULES)
    assert found.colour == colour and found.due_soon == (due_in <= 14)


def test_disputed_is_red_whatever_the_dates() -> None:
    found = timing(record(100, status="disputed", dispute_reason="no footage"), TODAY, RULES)
    assert found.colour == "red" and found.reasons == ("completion disputed: no footage",)


def test_closed_milestones_are_never_overdue_and_claims_are_not_stale() -> None:
    for status, reason in (("verified", "verified"), ("cancelled", "cancelled")):
        found = timing(record(-90, status=status), TODAY, RULES)
        assert (found.colour, found.overdue, found.reasons) == ("green", False, (reason,))
    claimed = timing(record(5, status="reported_complete", progress_days_ago=60), TODAY, RULES)
    assert claimed.colour == "green" and not claimed.due_soon
    late_claim = timing(record(-3, status="reported_complete"), TODAY, RULES)
    assert late_claim.colour == "amber" and late_claim.overdue  # still awaiting verification


def test_thresholds_come_from_the_configuration() -> None:
    strict = Thresholds(red_overdue_days=5, amber_due_within_days=30, amber_stale_days=3)
    assert timing(record(-6), TODAY, strict).colour == "red"
    assert timing(record(25, progress_days_ago=4), TODAY, strict).colour == "amber"
