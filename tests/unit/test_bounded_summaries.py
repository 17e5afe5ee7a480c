"""A summary lists at most RT_SUMMARY_ROWS overdue and due-soon milestones and RAG
reasons, and counts every one: the bounded answer is the head of the unbounded one."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.dashboards.domain import dashboards
from service.dashboards.domain.dashboards import brief, rollup
from service.dashboards.domain.rag import GREEN, Thresholds, worst
from service.dashboards.domain.readmodel import MilestoneRecord
from service.runtime.config import Config
from service.tracking.domain import milestone as ms

TODAY = date(2026, 11, 25)
RULES = Thresholds(summary_rows=10)
UNBOUNDED = replace(RULES, summary_rows=sys.maxsize)


def record(
    n: int, due_in: int, status: str = ms.IN_PROGRESS, stale: bool = False
) -> MilestoneRecord:
    due = (TODAY + timedelta(days=due_in)).isoformat()
    progress = None if stale else f"{TODAY}T12:00:00.000000Z"
    return MilestoneRecord(
        f"m{n}",
        "i",
        "p",
        f"M{n:03}",
        "PGO",
        "2026-01-01",
        due,
        due,
        status=status,
        last_progress_at=progress,
    )


def test_the_lists_are_bounded_and_the_counts_are_not() -> None:
    # 25 overdue by 1..25 days (amber), 3 disputed (red, one reason each), 12 due soon
    # (stale: amber), 5 on track.
    records = [record(n, -(n + 1)) for n in range(25)]
    records += [record(100 + n, 40, ms.DISPUTED) for n in range(3)]
    records += [record(200 + n, n, stale=True) for n in range(12)]
    records += [record(300 + n, 60) for n in range(5)]
    found = rollup(records, TODAY, RULES)
    assert (found["milestone_count"], found["overdue_count"], found["due_soon_count"]) == (
        45,
        25,
        12,
    )
    assert found["counts_by_rag"] == {"green": 5, "amber": 37, "red": 3}
    assert [m["days_overdue"] for m in found["overdue"]] == list(range(25, 15, -1))
    assert [m["days_until_due"] for m in found["due_soon"]] == list(range(10))
    assert found["rag"] == {
        "colour": "red",
        "reasons": [
            "M100: completion disputed",
            "M101: completion disputed",
            "M102: completion disputed",
        ],
        "more_reasons": 0,
    }
    assert len(found["rows"]) == 45  # the initiative dashboard's rows: every one

    amber = rollup([r for r in records if r.status != ms.DISPUTED], TODAY, RULES)["rag"]
    # The 37 amber reasons in due-date order (the most overdue first), the first 10 shown.
    assert amber["reasons"] == [f"M{n:03}: {n + 1} days overdue" for n in range(24, 14, -1)]
    assert amber["more_reasons"] == 27


def test_a_row_left_out_is_counted_not_built(monkeypatch: pytest.MonkeyPatch) -> None:
    built = {"brief": 0, "phrase": 0}

    def brief(row: dict[str, Any]) -> dict[str, Any]:
        built["brief"] += 1
        return {}

    def phrase(*args: Any, **kwargs: Any) -> str:
        built["phrase"] += 1
        return ""

    records = [record(n, -(n + 1)) for n in range(500)] + [record(1000 + n, 3) for n in range(500)]
    rows = dashboards._rows(records, TODAY, RULES)  # their own reasons are built here
    monkeypatch.setattr(dashboards, "brief", brief)
    monkeypatch.setattr(dashboards, "Phrase", phrase)
    found = dashboards.summary(dashboards.totals_of(rows), rows, 7)
    assert (found["overdue_count"], found["due_soon_count"], found["rag"]["more_reasons"]) == (
        500,
        500,
        463,
    )
    assert built == {"brief": 14, "phrase": 7}


@st.composite
def histories(draw: st.DrawFn) -> list[MilestoneRecord]:
    statuses = st.sampled_from([ms.PLANNED, ms.IN_PROGRESS, ms.DISPUTED, ms.VERIFIED, ms.CANCELLED])
    kinds = st.tuples(st.integers(-60, 30), statuses, st.booleans())
    return [
        record(n, due_in, status, stale)
        for n, (due_in, status, stale) in enumerate(draw(st.lists(kinds, max_size=40)))
    ]


def whole_lists(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The lists unbounded, as the summary made them before they were bounded: every
    overdue row by days overdue (stable: ties in due-date order), every due-soon row in
    due-date order, every reason of the rows of the worst colour."""
    overdue = sorted((row for row in rows if row["overdue"]), key=lambda row: -row["days_overdue"])
    colour = worst([row["rag"]["colour"] for row in rows])
    return {
        "overdue": [brief(row) for row in overdue],
        "due_soon": [brief(row) for row in rows if row["due_soon"]],
        "reasons": [
            f"{row['title']}: {reason}"
            for row in rows
            if row["rag"]["colour"] == colour
            for reason in row["rag"]["reasons"]
        ]
        if colour != GREEN
        else ["no milestone is disputed, overdue, or due soon without recent progress"],
    }


@given(records=histories(), limit=st.integers(1, 12))
def test_a_bounded_summary_is_the_head_of_the_whole_one(
    records: list[MilestoneRecord], limit: int
) -> None:
    bounded = rollup(records, TODAY, replace(RULES, summary_rows=limit))
    whole = whole_lists(bounded["rows"])
    for key in ("overdue", "due_soon"):
        assert bounded[key] == whole[key][:limit]
        assert bounded[f"{key}_count"] == len(whole[key])
    reasons = whole["reasons"]
    assert bounded["rag"]["reasons"] == reasons[:limit]
    assert bounded["rag"]["more_reasons"] == max(0, len(reasons) - limit)
    unbounded = rollup(records, TODAY, UNBOUNDED)
    assert unbounded["rag"] == {**bounded["rag"], "reasons": reasons, "more_reasons": 0}
    for key in ("milestone_count", "counts_by_status", "counts_by_rag", "percent_complete"):
        assert bounded[key] == unbounded[key]


def test_rt_summary_rows_is_at_least_one() -> None:
    assert Config.from_env({}).summary_rows == 10
    assert Config.from_env({"RT_SUMMARY_ROWS": "3"}).summary_rows == 3
    with pytest.raises(ValueError, match="RT_SUMMARY_ROWS must be at least 1"):
        Config.from_env({"RT_SUMMARY_ROWS": "0"})
