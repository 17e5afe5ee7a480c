"""Random command sequences against a milestone, checked against a small model.

Each command goes through the real decision. A refused command must append nothing;
an accepted one is folded in with evolve. After every step the state must satisfy the
invariants of the lifecycle and agree with a fold of the whole log from scratch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from service.ledger.domain.errors import IllegalTransition, InvalidValue
from service.tracking.domain import events as ev
from service.tracking.domain import milestone as ms

OPEN = {"planned", "in_progress", "blocked", "reported_complete", "disputed"}
# Written from the lifecycle in the brief: which statuses accept each command.
ACCEPTS: dict[str, set[str]] = {
    "start": {"planned"},
    "report_progress": {"in_progress", "disputed"},
    "reschedule": OPEN,
    "block": {"in_progress"},
    "unblock": {"blocked"},
    "attach_evidence": OPEN,
    "report_complete": {"in_progress", "disputed"},
    "verify": {"reported_complete"},
    "dispute": {"reported_complete"},
    "cancel": OPEN,
    "comment": OPEN | {"verified", "cancelled"},
}
LEADS_TO: dict[str, str] = {
    "start": "in_progress",
    "report_progress": "in_progress",
    "block": "blocked",
    "unblock": "in_progress",
    "report_complete": "reported_complete",
    "verify": "verified",
    "dispute": "disputed",
    "cancel": "cancelled",
}

EPOCH = date(2026, 1, 1)
days = st.integers(min_value=0, max_value=400)
# Mostly acceptable values, so that runs get deep into the lifecycle, plus the edge cases.
texts = st.one_of(
    st.sampled_from(["ok", "  padded  ", "Закон і порядок в армії", "x" * ms.MAX_TEXT]),
    st.sampled_from(["", "  \n", "x" * (ms.MAX_TEXT + 1)]),
    st.text(max_size=40),
)
digests = st.one_of(
    st.text(alphabet="0123456789abcdefABCDEF", min_size=64, max_size=64),
    st.text(alphabet="0123456789abcdefABCDEF", min_size=62, max_size=66),
    st.text(max_size=64),
)


def text_ok(value: str, required: bool, limit: int = ms.MAX_TEXT) -> bool:
    stripped = value.strip()
    return (bool(stripped) or not required) and len(stripped) <= limit


class MilestoneLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.log: list[ev.DomainEvent] = []
        self.state: ms.Milestone
        self.reschedules = 0
        self.evidence = 0
        self.comments = 0
        self.progress = 0

    @initialize(start=days, length=days)
    def plan(self, start: int, length: int) -> None:
        planned_start = EPOCH + timedelta(days=start)
        self.log = ms.plan(
            milestone_id="m-1",
            initiative_id="i-1",
            programme_id="p-1",
            title="Recording of draft commissions",
            description="",
            owner_agency="mod",
            planned_start=planned_start,
            due_date=planned_start + timedelta(days=length),
        )
        state = ms.fold(self.log)
        assert state is not None
        self.state = state
        self.check_round_trip(self.log)

    # --- driving a command through its decision --------------------------------------

    def attempt(self, action: str, decide: Callable[[], list[ev.DomainEvent]], valid: bool) -> bool:
        before, log_size = self.state, len(self.log)
        allowed = before.status in ACCEPTS[action]
        try:
            produced = decide()
        except IllegalTransition as refused:
            assert not allowed, f"{action} refused in {before.status}"
            assert refused.status == before.status
            return False
        except InvalidValue:
            assert not valid, f"{action} refused valid arguments"
            return False
        finally:
            # Refused or not, deciding alone never touches the log.
            assert self.state is before and len(self.log) == log_size
        assert allowed and valid, f"{action} accepted in {before.status} (valid={valid})"
        assert len(produced) == 1
        self.check_round_trip(produced)
        for event in produced:
            self.log.append(event)
            self.state = ms.evolve(self.state, event)
        assert before.status not in ms.FINAL or action == "comment"
        if self.state.status == "verified" and before.status != "verified":
            assert before.status == "reported_complete"
        assert self.state.status == LEADS_TO.get(action, before.status)
        return True

    def check_round_trip(self, produced: list[ev.DomainEvent]) -> None:
        for event in produced:
            assert ev.from_payload(event.type, event.to_payload()) == event

    # --- rules ------------------------------------------------------------------------

    @rule(note=texts)
    def start(self, note: str) -> None:
        self.attempt("start", lambda: ms.start(self.state, note), text_ok(note, False))

    @rule(percent=st.integers(min_value=-5, max_value=105), note=texts)
    def report_progress(self, percent: int, note: str) -> None:
        valid = 0 <= percent <= 100 and text_ok(note, False)
        if self.attempt(
            "report_progress", lambda: ms.report_progress(self.state, percent, note), valid
        ):
            self.progress = percent

    @rule(from_start=st.booleans(), offset=st.integers(min_value=-60, max_value=60), reason=texts)
    def reschedule(self, from_start: bool, offset: int, reason: str) -> None:
        # Half the time aim near the planned start, where the lower bound lies.
        anchor = self.state.planned_start if from_start else self.state.due_date
        new_due = anchor + timedelta(days=offset // 20 if from_start else offset)
        valid = (
            new_due != self.state.due_date
            and new_due >= self.state.planned_start
            and text_ok(reason, True)
        )
        if self.attempt("reschedule", lambda: ms.reschedule(self.state, new_due, reason), valid):
            self.reschedules += 1

    @rule(reason=texts)
    def block(self, reason: str) -> None:
        self.attempt("block", lambda: ms.block(self.state, reason), text_ok(reason, True))

    @rule(note=texts)
    def unblock(self, note: str) -> None:
        self.attempt("unblock", lambda: ms.unblock(self.state, note), text_ok(note, False))

    @rule(digest=digests, uri=texts, media_type=texts)
    def attach_evidence(self, digest: str, uri: str, media_type: str) -> None:
        normalised = digest.strip().lower()
        valid = (
            len(normalised) == 64
            and all(c in "0123456789abcdef" for c in normalised)
            and text_ok(uri, True, limit=2048)
            and text_ok(media_type, True, limit=255)
        )

        def decide() -> list[ev.DomainEvent]:
            return ms.attach_evidence(
                self.state,
                uri=uri,
                sha256=digest,
                media_type=media_type,
                captured_at="2026-03-01T12:00:00+00:00",
            )

        if self.attempt("attach_evidence", decide, valid):
            self.evidence += 1

    @rule(note=texts)
    def report_complete(self, note: str) -> None:
        if self.attempt(
            "report_complete", lambda: ms.report_complete(self.state, note), text_ok(note, False)
        ):
            self.progress = 100

    @rule(note=texts)
    def verify(self, note: str) -> None:
        self.attempt("verify", lambda: ms.verify(self.state, note), text_ok(note, False))

    @rule(reason=texts)
    def dispute(self, reason: str) -> None:
        self.attempt("dispute", lambda: ms.dispute(self.state, reason), text_ok(reason, True))

    @rule(reason=texts)
    def cancel(self, reason: str) -> None:
        self.attempt("cancel", lambda: ms.cancel(self.state, reason), text_ok(reason, True))

    @rule(text=texts)
    def comment(self, text: str) -> None:
        if self.attempt("comment", lambda: ms.comment(self.state, text), text_ok(text, True)):
            self.comments += 1

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def status_is_known(self) -> None:
        assert self.state.status in ms.STATUSES

    @invariant()
    def progress_is_a_percentage_matching_the_last_report(self) -> None:
        assert 0 <= self.state.progress <= 100
        assert self.state.progress == self.progress

    @invariant()
    def due_date_never_precedes_the_start(self) -> None:
        assert self.state.due_date >= self.state.planned_start

    @invariant()
    def slip_is_derived_from_the_planned_due_date(self) -> None:
        slip = (self.state.due_date - self.state.planned_due_date).days
        assert self.state.slip_days == slip

    @invariant()
    def counters_match_the_accepted_commands(self) -> None:
        assert self.state.replan_count == self.reschedules
        assert self.state.evidence_count == self.evidence
        assert self.state.comment_count == self.comments

    @invariant()
    def folding_the_log_from_scratch_gives_the_same_state(self) -> None:
        assert ms.fold(self.log) == self.state


MilestoneLifecycle.TestCase.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None
)
TestMilestoneLifecycle = MilestoneLifecycle.TestCase


STATUS_PATHS: dict[str, list[Callable[[ms.Milestone], list[ev.DomainEvent]]]] = {
    "planned": [],
    "in_progress": [ms.start],
    "blocked": [ms.start, lambda m: ms.block(m, "no budget")],
    "reported_complete": [ms.start, ms.report_complete],
    "verified": [ms.start, ms.report_complete, ms.verify],
    "disputed": [ms.start, ms.report_complete, lambda m: ms.dispute(m, "not done")],
    "cancelled": [lambda m: ms.cancel(m, "dropped")],
}


@settings(max_examples=200, deadline=None)
@given(
    status=st.sampled_from(sorted(STATUS_PATHS)),
    due_offset=st.integers(min_value=0, max_value=365),
    today_offset=st.integers(min_value=-400, max_value=800),
)
def test_overdue_is_derived_from_due_date_and_status(
    status: str, due_offset: int, today_offset: int
) -> None:
    due = EPOCH + timedelta(days=due_offset)
    state = ms.fold(
        ms.plan(
            milestone_id="m-1",
            initiative_id="i-1",
            programme_id="p-1",
            title="t",
            description="",
            owner_agency="mod",
            planned_start=EPOCH,
            due_date=due,
        )
    )
    assert state is not None
    for decide in STATUS_PATHS[status]:
        [event] = decide(state)
        state = ms.evolve(state, event)
    assert state.status == status
    today = EPOCH + timedelta(days=today_offset)
    late = (today - due).days
    expected_overdue = late > 0 and status not in {"verified", "cancelled"}
    assert state.is_overdue(today) is expected_overdue
    assert state.days_overdue(today) == (late if expected_overdue else 0)
