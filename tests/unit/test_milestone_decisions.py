"""Milestone decisions: which command each status accepts, the events it produces, and
which values are refused.

The tables of allowed statuses and resulting statuses are written out here from the
lifecycle in the product brief, not derived from service.tracking.domain.milestone, so that a
change to the decisions shows up as a failing row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from service.ledger.domain.errors import DomainError, IllegalTransition, InvalidValue
from service.tracking.domain import events as ev
from service.tracking.domain import milestone as ms

START = date(2026, 1, 15)
DUE = date(2026, 6, 30)
SHA = "ab" * 32

ALL_STATUSES = [
    "planned",
    "in_progress",
    "blocked",
    "reported_complete",
    "verified",
    "disputed",
    "cancelled",
]
OPEN = {"planned", "in_progress", "blocked", "reported_complete", "disputed"}

Decision = Callable[[ms.Milestone], list[ev.DomainEvent]]

# action -> (decision with valid arguments, event type, statuses that accept it,
#            resulting status or None when the status does not change)
ACTIONS: dict[str, tuple[Decision, type[ev.DomainEvent], set[str], str | None]] = {
    "start": (lambda m: ms.start(m), ev.MilestoneStarted, {"planned"}, "in_progress"),
    "report_progress": (
        lambda m: ms.report_progress(m, 40, "cameras installed in 4 of 10 units"),
        ev.ProgressReported,
        {"in_progress", "disputed"},
        "in_progress",
    ),
    "reschedule": (
        lambda m: ms.reschedule(m, m.due_date + timedelta(days=30), "procurement delayed"),
        ev.MilestoneRescheduled,
        OPEN,
        None,
    ),
    "block": (
        lambda m: ms.block(m, "waiting for the budget line"),
        ev.MilestoneBlocked,
        {"in_progress"},
        "blocked",
    ),
    "unblock": (lambda m: ms.unblock(m), ev.MilestoneUnblocked, {"blocked"}, "in_progress"),
    "attach_evidence": (
        lambda m: ms.attach_evidence(
            m,
            uri="https://example.org/evidence/1.pdf",
            sha256=SHA,
            media_type="application/pdf",
            captured_at="2026-02-01T10:00:00+00:00",
        ),
        ev.EvidenceAttached,
        OPEN,
        None,
    ),
    "report_complete": (
        lambda m: ms.report_complete(m),
        ev.MilestoneReportedComplete,
        {"in_progress", "disputed"},
        "reported_complete",
    ),
    "verify": (
        lambda m: ms.verify(m, "checked on site"),
        ev.CompletionVerified,
        {"reported_complete"},
        "verified",
    ),
    "dispute": (
        lambda m: ms.dispute(m, "cameras not connected"),
        ev.CompletionDisputed,
        {"reported_complete"},
        "disputed",
    ),
    "cancel": (
        lambda m: ms.cancel(m, "superseded by the national programme"),
        ev.MilestoneCancelled,
        OPEN,
        "cancelled",
    ),
    "comment": (
        lambda m: ms.comment(m, "asked the agency for the contract"),
        ev.CommentAdded,
        set(ALL_STATUSES),
        None,
    ),
}

# The shortest command path from planning to each status.
PATHS: dict[str, list[str]] = {
    "planned": [],
    "in_progress": ["start"],
    "blocked": ["start", "block"],
    "reported_complete": ["start", "report_complete"],
    "verified": ["start", "report_complete", "verify"],
    "disputed": ["start", "report_complete", "dispute"],
    "cancelled": ["cancel"],
}


def plan_events(planned_start: date = START, due_date: date = DUE) -> list[ev.DomainEvent]:
    return ms.plan(
        milestone_id="m-1",
        initiative_id="i-1",
        programme_id="p-1",
        title="Body cameras for guard soldiers",
        description="Issue body cameras to every duty and guard shift",
        owner_agency="ministry-of-defence",
        planned_start=planned_start,
        due_date=due_date,
    )


def planned() -> ms.Milestone:
    state = ms.fold(plan_events())
    assert state is not None
    return state


def milestone_in(status: str) -> ms.Milestone:
    state = planned()
    for action in PATHS[status]:
        for event in ACTIONS[action][0](state):
            state = ms.evolve(state, event)
    assert state.status == status
    return state


def test_the_lifecycle_has_exactly_the_statuses_of_the_brief() -> None:
    assert sorted(ms.STATUSES) == sorted(ALL_STATUSES)
    assert set(ms.FINAL) == {"verified", "cancelled"}


def test_planning_produces_a_planned_milestone() -> None:
    [event] = plan_events()
    assert isinstance(event, ev.MilestonePlanned)
    assert event.planned_start == "2026-01-15"
    assert event.due_date == "2026-06-30"
    state = ms.evolve(None, event)
    assert state.status == "planned"
    assert state.progress == 0
    assert state.planned_due_date == state.due_date == DUE
    assert (state.slip_days, state.replan_count, state.evidence_count) == (0, 0, 0)


@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_status_accepts_exactly_its_allowed_actions(status: str, action: str) -> None:
    decide, event_type, allowed, resulting = ACTIONS[action]
    state = milestone_in(status)
    if status in allowed:
        events = decide(state)
        assert [type(event) for event in events] == [event_type]
        after = ms.evolve(state, events[0])
        assert after.status == (resulting or status)
    else:
        with pytest.raises(IllegalTransition) as refused:
            decide(state)
        assert refused.value.status == status
        assert refused.value.code == "illegal_transition"
        assert status in refused.value.message


def test_nothing_but_comments_is_accepted_once_final() -> None:
    for status in ("verified", "cancelled"):
        accepted = {a for a, (_, _, allowed, _) in ACTIONS.items() if status in allowed}
        assert accepted == {"comment"}


def test_progress_report_sets_the_percentage() -> None:
    state = milestone_in("in_progress")
    [event] = ms.report_progress(state, 65, "  six of ten units  ")
    assert event == ev.ProgressReported(percent=65, note="six of ten units")
    assert ms.evolve(state, event).progress == 65


@pytest.mark.parametrize("percent", [0, 100])
def test_progress_accepts_both_bounds(percent: int) -> None:
    [event] = ms.report_progress(milestone_in("in_progress"), percent)
    assert isinstance(event, ev.ProgressReported)
    assert event.percent == percent


@pytest.mark.parametrize("percent", [-1, 101, 1000])
def test_progress_outside_0_to_100_is_refused(percent: int) -> None:
    with pytest.raises(InvalidValue) as refused:
        ms.report_progress(milestone_in("in_progress"), percent)
    assert refused.value.field == "percent"


def test_progress_after_a_dispute_reopens_the_work() -> None:
    state = milestone_in("disputed")
    [event] = ms.report_progress(state, 80)
    after = ms.evolve(state, event)
    assert (after.status, after.progress) == ("in_progress", 80)


def test_reporting_complete_sets_progress_to_100_and_clears_the_dispute() -> None:
    state = milestone_in("disputed")
    assert state.dispute_reason == "cameras not connected"
    [event] = ms.report_complete(state, "cameras connected")
    after = ms.evolve(state, event)
    assert (after.status, after.progress, after.dispute_reason) == ("reported_complete", 100, None)


def test_block_records_the_reason_and_unblock_clears_it() -> None:
    blocked = milestone_in("blocked")
    assert blocked.blocked_reason == "waiting for the budget line"
    [event] = ms.unblock(blocked, "budget approved")
    assert ms.evolve(blocked, event).blocked_reason is None


def test_cancel_records_the_reason() -> None:
    assert milestone_in("cancelled").cancel_reason == "superseded by the national programme"


def test_reschedule_derives_the_slip_from_the_current_due_date() -> None:
    state = milestone_in("in_progress")
    [first] = ms.reschedule(state, date(2026, 7, 10), "supplier late")
    assert first == ev.MilestoneRescheduled(
        previous_due_date="2026-06-30",
        new_due_date="2026-07-10",
        slip_days=10,
        reason="supplier late",
    )
    state = ms.evolve(state, first)
    [second] = ms.reschedule(state, date(2026, 7, 5), "supplier early")
    assert second.slip_days == -5  # type: ignore[attr-defined]
    state = ms.evolve(state, second)
    assert state.due_date == date(2026, 7, 5)
    assert state.planned_due_date == DUE
    assert state.slip_days == 5
    assert state.replan_count == 2


def test_reschedule_may_move_the_due_date_onto_the_planned_start() -> None:
    [event] = ms.reschedule(planned(), START, "scope reduced")
    assert event.new_due_date == START.isoformat()  # type: ignore[attr-defined]


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_reschedule_without_a_reason_is_refused(reason: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        ms.reschedule(planned(), DUE + timedelta(days=1), reason)
    assert refused.value.field == "reason"


def test_reschedule_to_the_same_date_is_refused() -> None:
    state = milestone_in("in_progress")
    with pytest.raises(InvalidValue) as refused:
        ms.reschedule(state, state.due_date, "no change")
    assert refused.value.field == "new_due_date"


def test_reschedule_before_the_planned_start_is_refused() -> None:
    with pytest.raises(InvalidValue) as refused:
        ms.reschedule(planned(), START - timedelta(days=1), "pulled forward")
    assert refused.value.field == "new_due_date"


def test_plan_with_the_due_date_before_the_start_is_refused() -> None:
    with pytest.raises(InvalidValue) as refused:
        plan_events(planned_start=DUE, due_date=DUE - timedelta(days=1))
    assert refused.value.field == "due_date"


def test_plan_may_start_and_end_on_the_same_day() -> None:
    [event] = plan_events(planned_start=DUE, due_date=DUE)
    assert isinstance(event, ev.MilestonePlanned)


@pytest.mark.parametrize(
    ("title", "field_ok"), [("", False), ("  ", False), ("x" * 200, True), ("x" * 201, False)]
)
def test_plan_title_is_required_and_at_most_200_characters(title: str, field_ok: bool) -> None:
    def decide() -> list[ev.DomainEvent]:
        return ms.plan(
            milestone_id="m-1",
            initiative_id="i-1",
            programme_id="p-1",
            title=title,
            description="",
            owner_agency="mod",
            planned_start=START,
            due_date=DUE,
        )

    if field_ok:
        assert decide()[0].title == title  # type: ignore[attr-defined]
    else:
        with pytest.raises(InvalidValue) as refused:
            decide()
        assert refused.value.field == "title"


def test_evidence_digest_is_normalised_to_lower_case() -> None:
    [event] = ms.attach_evidence(
        milestone_in("in_progress"),
        uri=" https://example.org/a.mp4 ",
        sha256=f"  {'AB' * 32}  ",
        media_type="video/mp4",
        captured_at="2026-02-01T10:00:00+00:00",
    )
    assert isinstance(event, ev.EvidenceAttached)
    assert event.sha256 == SHA
    assert event.uri == "https://example.org/a.mp4"


@pytest.mark.parametrize(
    "digest", ["", "ab" * 31, "ab" * 32 + "a", "g" * 64, "ab" * 31 + "a ", "0x" + "ab" * 31]
)
def test_evidence_with_a_bad_sha256_is_refused(digest: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        ms.attach_evidence(
            milestone_in("in_progress"),
            uri="https://example.org/a.pdf",
            sha256=digest,
            media_type="application/pdf",
            captured_at="2026-02-01",
        )
    assert refused.value.field == "sha256"


@pytest.mark.parametrize(
    ("field", "uri", "media_type"),
    [
        ("uri", "", "application/pdf"),
        ("uri", "https://e.org/" + "a" * 2040, "application/pdf"),
        ("media_type", "https://e.org/a.pdf", " "),
        ("media_type", "https://e.org/a.pdf", "x" * 256),
    ],
)
def test_evidence_needs_a_uri_and_media_type_of_bounded_length(
    field: str, uri: str, media_type: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        ms.attach_evidence(
            milestone_in("in_progress"),
            uri=uri,
            sha256=SHA,
            media_type=media_type,
            captured_at="2026-02-01",
        )
    assert refused.value.field == field


def test_evidence_counts_up() -> None:
    state = milestone_in("planned")
    for _ in range(3):
        [event] = ACTIONS["attach_evidence"][0](state)
        state = ms.evolve(state, event)
    assert state.evidence_count == 3


REASONED: dict[str, Callable[[str], list[ev.DomainEvent]]] = {
    "dispute": lambda reason: ms.dispute(milestone_in("reported_complete"), reason),
    "cancel": lambda reason: ms.cancel(milestone_in("in_progress"), reason),
    "block": lambda reason: ms.block(milestone_in("in_progress"), reason),
    "reschedule": lambda reason: ms.reschedule(planned(), DUE + timedelta(days=7), reason),
}


@pytest.mark.parametrize("action", list(REASONED))
@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(action: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        REASONED[action](reason)
    assert refused.value.field == "reason"


@pytest.mark.parametrize("action", list(REASONED))
def test_a_reason_is_at_most_max_text_long(action: str) -> None:
    assert REASONED[action]("r" * ms.MAX_TEXT)
    with pytest.raises(InvalidValue):
        REASONED[action]("r" * (ms.MAX_TEXT + 1))


NOTED: dict[str, Callable[[str], list[ev.DomainEvent]]] = {
    "start": lambda note: ms.start(planned(), note),
    "report_progress": lambda note: ms.report_progress(milestone_in("in_progress"), 10, note),
    "unblock": lambda note: ms.unblock(milestone_in("blocked"), note),
    "report_complete": lambda note: ms.report_complete(milestone_in("in_progress"), note),
    "verify": lambda note: ms.verify(milestone_in("reported_complete"), note),
    "comment": lambda text: ms.comment(planned(), text),
}


@pytest.mark.parametrize("action", list(NOTED))
def test_overlong_notes_are_refused(action: str) -> None:
    assert NOTED[action]("n" * ms.MAX_TEXT)
    with pytest.raises(InvalidValue):
        NOTED[action]("n" * (ms.MAX_TEXT + 1))


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_comment_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        ms.comment(planned(), text)
    assert refused.value.field == "text"


def test_refusals_are_domain_errors() -> None:
    assert issubclass(IllegalTransition, DomainError)
    assert issubclass(InvalidValue, DomainError)


def test_evolve_refuses_events_before_the_plan_and_foreign_events() -> None:
    with pytest.raises(ValueError):
        ms.evolve(None, ev.MilestoneStarted(note=""))
    with pytest.raises(ValueError):
        ms.evolve(planned(), ev.ProgrammeCreated("p", "t", "d", "a"))
    assert ms.fold([]) is None


# --- overdue ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_overdue_only_after_the_due_date_and_while_not_final(status: str) -> None:
    state = milestone_in(status)
    final = status in {"verified", "cancelled"}
    assert not state.is_overdue(DUE - timedelta(days=1))
    assert not state.is_overdue(DUE)
    assert state.is_overdue(DUE + timedelta(days=1)) is not final
    assert state.days_overdue(DUE) == 0
    assert state.days_overdue(DUE + timedelta(days=9)) == (0 if final else 9)
    assert state.days_overdue(DUE - timedelta(days=9)) == 0


def test_overdue_follows_the_rescheduled_due_date() -> None:
    state = milestone_in("in_progress")
    [event] = ms.reschedule(state, DUE + timedelta(days=20), "contract re-tendered")
    state = ms.evolve(state, event)
    assert not state.is_overdue(DUE + timedelta(days=20))
    assert state.days_overdue(DUE + timedelta(days=25)) == 5
