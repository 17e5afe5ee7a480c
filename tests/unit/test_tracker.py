"""The Tracker application service on fakeredis: creations chain programme, initiative
and milestone; a command decides on the milestone as it is now and appends what it
decided; refusals append nothing; a lost race is decided again; a retried request with
the same Idempotency-Key appends once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from service.access.policy import Forbidden, TokenRecord
from service.bootstrap import Services
from service.ledger.domain.errors import DomainError, NotFound
from service.ledger.eventstore import Idempotency
from service.tracking.domain.milestone import Milestone
from service.tracking.tracker import Loaded, Outcome, PreconditionFailed, Tracker
from tests.alerting import Tracked
from tests.conftest import AGENCY_A, AGENCY_B

DUE = date(2026, 12, 31)


def token(services: Services, role: str, agency: str | None = None) -> TokenRecord:
    return services.tokens.create(role, agency, role)[1]


class Desk(Tracked):
    """Also a reporter of agency B, and one milestone of agency A planned."""

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.reporter_b = self._token("reporter", AGENCY_B)
        self.milestone_id = self.plan(DUE).loaded.state.milestone_id

    def act(self, verb: str, args: dict[str, Any], **options: Any) -> Outcome[Milestone]:
        return self.services.tracker.command(
            self.reporter, self.milestone_id, verb, args, **options
        )


@pytest.fixture
def desk(services: Services) -> Desk:
    return Desk(services)


def test_creations_chain_programme_initiative_and_milestone(desk: Desk, services: Services) -> None:
    store, tracker = services.store, services.tracker
    assert [e.type for e in store.iter_log()] == [
        "ProgrammeCreated",
        "InitiativeLaunched",
        "MilestonePlanned",
    ]
    assert store.children("") == [f"programme-{desk.programme_id}"]
    assert store.children(f"programme-{desk.programme_id}") == [f"initiative-{desk.initiative_id}"]
    assert store.children(f"initiative-{desk.initiative_id}") == [f"milestone-{desk.milestone_id}"]
    milestone = tracker.load("milestone", desk.milestone_id).state
    assert (milestone.status, milestone.owner_agency, milestone.programme_id) == (
        "planned",
        AGENCY_A,
        desk.programme_id,
    )
    assert [m.state.milestone_id for m in tracker.children("milestone", desk.initiative_id)] == [
        desk.milestone_id
    ]
    with pytest.raises(NotFound):
        tracker.load("milestone", "no-such-milestone")


def test_a_command_appends_what_it_decided_and_returns_the_new_state(
    desk: Desk, services: Services
) -> None:
    desk.act("start", {"note": "cameras ordered"})
    outcome = desk.act("report-progress", {"percent": 40, "note": "half the units"})
    assert [e.type for e in outcome.appended] == ["ProgressReported"]
    assert outcome.appended[0].payload["percent"] == 40
    assert (outcome.loaded.version, outcome.loaded.state.progress) == (3, 40)
    assert outcome.loaded.state == services.tracker.load("milestone", desk.milestone_id).state
    assert services.store.head_position() == 5


def test_an_illegal_transition_appends_nothing(desk: Desk, services: Services) -> None:
    head = services.store.head_position()
    with pytest.raises(DomainError):
        desk.act("report-complete", {"note": "done"})  # never started
    assert services.store.head_position() == head


@pytest.mark.parametrize(
    ("who", "action"),
    [
        pytest.param("reporter_b", "start", id="another-agency-reporter"),
        pytest.param("viewer", "start", id="viewer"),
        pytest.param("reporter", "verify", id="reporter-verifying-itself"),
        pytest.param("viewer", "create-programme", id="viewer-creating"),
        pytest.param("reporter", "launch-initiative", id="reporter-launching"),
        pytest.param("reporter_b", "plan", id="another-agency-planning"),
        # Naming itself the owner must not let an agency plan inside another's initiative,
        # nor may an agency hand a milestone of its own initiative to another agency.
        pytest.param("reporter_b", "plan-as-B", id="another-agency-planning-as-owner"),
        pytest.param("reporter", "plan-as-B", id="planning-for-another-agency"),
    ],
)
def test_a_refused_caller_appends_nothing(
    who: str, action: str, desk: Desk, services: Services
) -> None:
    caller = token(services, "viewer") if who == "viewer" else getattr(desk, who)
    head = services.store.head_position()
    tracker = services.tracker
    with pytest.raises(Forbidden):
        if action == "create-programme":
            tracker.create_programme(caller, title="T", description="", lead_agency="PGO")
        elif action == "launch-initiative":
            tracker.launch_initiative(
                caller, desk.programme_id, title="T", description="", owner_agency="X", lead="L"
            )
        elif action.startswith("plan"):
            tracker.plan_milestone(
                caller,
                desk.initiative_id,
                title="T",
                description="",
                planned_start=date(2026, 1, 1),
                due_date=date(2026, 2, 1),
                owner_agency=AGENCY_B if action == "plan-as-B" else None,
            )
        else:
            tracker.command(caller, desk.milestone_id, action, {})
    assert services.store.head_position() == head


def test_the_owner_agency_and_overseers_plan_under_an_initiative(
    desk: Desk, services: Services
) -> None:
    own = desk.plan(DUE, title="Cameras in every unit").loaded.state
    assert own.owner_agency == AGENCY_A
    # An overseer may give a milestone of agency A's initiative to a partner agency.
    shared = services.tracker.plan_milestone(
        desk.overseer,
        desk.initiative_id,
        title="Recordings of the draft commissions",
        description="",
        planned_start=date(2026, 1, 1),
        due_date=DUE,
        owner_agency=AGENCY_B,
    ).loaded.state
    assert shared.owner_agency == AGENCY_B


def stale_copy(services: Services, milestone_id: str) -> Loaded[Any]:
    """The milestone as a request read it, before another worker moved it on."""
    return Tracker(services.store).current_milestone(milestone_id).run(services.redis)


def test_a_lost_race_is_decided_again_on_the_new_state(desk: Desk, services: Services) -> None:
    read_before = stale_copy(services, desk.milestone_id)
    desk.act("start", {"note": "the other worker"})
    # Decided on the stale copy, "start" would be allowed; on the milestone as it is
    # now, it is not, so the retry must refuse it rather than append it again.
    with pytest.raises(DomainError):
        desk.act("start", {"note": "late"}, current=read_before)
    assert [e.type for e in services.store.read_stream(f"milestone-{desk.milestone_id}")] == [
        "MilestonePlanned",
        "MilestoneStarted",
    ]


def test_a_lost_race_that_still_allows_the_command_appends_after_the_winner(
    desk: Desk, services: Services
) -> None:
    desk.act("start", {})
    read_before = stale_copy(services, desk.milestone_id)
    desk.act("report-progress", {"percent": 20, "note": ""})
    outcome = desk.act("comment", {"text": "late"}, current=read_before)
    assert outcome.loaded.version == 4
    assert (outcome.loaded.state.progress, outcome.loaded.state.comment_count) == (20, 1)


def test_an_if_match_on_a_moved_milestone_is_refused_not_retried(
    desk: Desk, services: Services
) -> None:
    desk.act("start", {})
    with pytest.raises(PreconditionFailed) as refused:
        desk.act("comment", {"text": "x"}, expected_version=1)
    assert (refused.value.expected, refused.value.actual) == (1, 2)
    assert services.store.head_position() == 4


def test_a_retried_command_with_the_same_key_appends_once(desk: Desk, services: Services) -> None:
    desk.act("start", {})
    key = Idempotency(desk.reporter.id, "retry-1", "report-progress 40")
    first = desk.act("report-progress", {"percent": 40, "note": ""}, idempotency=key)
    again = desk.act("report-progress", {"percent": 40, "note": ""}, idempotency=key)
    assert (first.replayed, again.replayed) == (False, True)
    assert again.appended == first.appended
    assert again.loaded.state == first.loaded.state
    assert services.store.head_position() == 5


def test_a_retried_creation_with_the_same_key_returns_the_same_record(
    desk: Desk, services: Services
) -> None:
    key = Idempotency(desk.reporter.id, "plan-1", "plan cameras")
    first, again = desk.plan(DUE, idempotency=key), desk.plan(DUE, idempotency=key)
    assert again.replayed and again.loaded.state == first.loaded.state
    assert again.appended == first.appended
    assert services.store.children(f"initiative-{desk.initiative_id}") == [
        f"milestone-{desk.milestone_id}",
        f"milestone-{first.loaded.state.milestone_id}",
    ]
