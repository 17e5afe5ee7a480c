"""Roll-ups, scorecards and batch projection, on an in-memory fold of a small log."""

from __future__ import annotations

from datetime import date

from service.dashboards.domain.dashboards import initiative_dashboard, overview, programme_dashboard
from service.dashboards.domain.projection_batch import project_batch
from service.dashboards.domain.rag import Thresholds
from service.dashboards.domain.scorecards import scorecard
from service.dashboards.domain.snapshot import Snapshot, fold
from service.tracking.domain import events as ev
from service.tracking.domain import milestone as ms
from tests.unit.projection_events import Log

TODAY = date(2026, 11, 25)
RULES = Thresholds()


def small_log() -> Log:
    log = Log()
    log.add("programme-p1", ev.ProgrammeCreated("p1", "Army reform", "", "PGO"))
    log.add("initiative-i1", ev.InitiativeLaunched("i1", "p1", "Law and Order", "", "PGO", "X"))
    for n, (due, agency) in enumerate(
        [("2026-10-01", "PGO"), ("2026-12-01", "PGO"), ("2027-03-01", "MoD")]
    ):
        log.add(
            f"milestone-m{n}",
            *ms.plan(
                milestone_id=f"m{n}",
                initiative_id="i1",
                programme_id="p1",
                title=f"M{n}",
                description="",
                owner_agency=agency,
                planned_start=date(2026, 1, 1),
                due_date=date.fromisoformat(due),
            ),
        )
    log.add("milestone-m0", ev.MilestoneStarted(""), ev.ProgressReported(40, ""))
    log.add(
        "milestone-m1",
        ev.MilestoneStarted(""),
        ev.MilestoneReportedComplete(""),
        ev.CompletionVerified(""),
        at="2026-11-20",
    )
    log.add("milestone-m2", ev.MilestoneCancelled("merged"))
    return log


def test_rollup() -> None:
    snapshot = fold(small_log().events)
    found = programme_dashboard(snapshot, "p1", TODAY, RULES)
    assert found is not None
    assert found["milestone_count"] == 3 and found["percent_complete"] == 70.0  # (40+100)/2
    assert found["counts_by_status"]["cancelled"] == 1
    assert [m["milestone_id"] for m in found["overdue"]] == ["m0"]
    assert found["rag"] == {
        "colour": "red",
        "reasons": ["M0: 55 days overdue (more than 30)"],
        "more_reasons": 0,
    }
    assert found["position"] == snapshot.position
    [initiative] = found["initiatives"]
    assert initiative["rag"]["colour"] == "red" and "milestones" not in initiative
    assert len(initiative_dashboard(snapshot, "i1", TODAY, RULES)["milestones"]) == 3  # type: ignore[index]
    assert [p["programme_id"] for p in overview(snapshot, TODAY, RULES)] == ["p1"]
    assert programme_dashboard(snapshot, "nope", TODAY, RULES) is None


def test_scorecard() -> None:
    snapshot = fold(small_log().events)
    pgo = scorecard(snapshot, "PGO", TODAY, RULES)
    assert pgo is not None
    # M1 was claimed on 2026-11-20, before its 2026-12-01 baseline.
    assert (pgo["completed_count"], pgo["completed_on_time"], pgo["on_time_rate"]) == (1, 1, 1.0)
    assert (pgo["overdue_count"], pgo["verified_share"]) == (1, 1.0)
    assert scorecard(snapshot, "Nobody", TODAY, RULES) is None


def test_batch_applies_each_event_only_to_families_behind_it() -> None:
    events = small_log().events
    whole = fold(events)
    # milestones already folded up to position 6, the others from scratch.
    head = fold(events[:6])
    milestones = {k: v for k, v in head.records["milestones"].items()}  # type: ignore[misc]
    checkpoints = {"milestones": 6, "initiatives": 0, "programmes": 0, "agencies": 0}
    changes = project_batch(events, milestones, checkpoints)  # type: ignore[arg-type]
    rebuilt = Snapshot()
    rebuilt.records["milestones"] = dict(head.records["milestones"])
    rebuilt.due = dict(head.due)
    rebuilt.apply_changes(changes)
    assert rebuilt.records == whole.records and rebuilt.members == whole.members
    assert rebuilt.due == whole.due
