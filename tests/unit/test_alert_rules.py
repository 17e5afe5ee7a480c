"""Alert decisions and the alert fold: conditions, severities, escalation order,
acknowledgement and the causes of resolution."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from service.alerts.domain import alerts as al
from service.alerts.domain import rules
from service.ledger.domain.errors import DomainError, InvalidValue
from service.tracking.domain import events as ev

LEADS = (14, 3)
TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
AFTER = timedelta(hours=48)


def milestone(due: date = date(2026, 11, 20), status: str = "in_progress") -> rules.DueMilestone:
    return rules.DueMilestone(
        milestone_id="m1",
        initiative_id="i1",
        programme_id="p1",
        owner_agency="PGO",
        title="Body cameras for guard duty",
        due_date=due,
        status=status,
    )


def raised(condition: str = "overdue", due: date = date(2026, 11, 20)) -> al.Alert:
    alert = al.fold(rules.raise_alert(milestone(due), condition, NOW, LEADS))
    assert alert is not None
    return alert


@pytest.mark.parametrize(
    ("due", "condition"),
    [
        (TODAY - timedelta(days=1), "overdue"),
        (TODAY, "due_in_3"),
        (TODAY + timedelta(days=3), "due_in_3"),
        (TODAY + timedelta(days=4), "due_in_14"),
        (TODAY + timedelta(days=14), "due_in_14"),
        (TODAY + timedelta(days=15), None),
    ],
)
def test_the_most_urgent_condition_is_chosen(due: date, condition: str | None) -> None:
    assert rules.condition_for(due, TODAY, LEADS) == condition


def test_severity_follows_urgency() -> None:
    assert [rules.severity_of(c, LEADS) for c in ("overdue", "due_in_3", "due_in_14")] == [
        "high",
        "medium",
        "low",
    ]


def test_alert_id_is_stable_per_milestone_condition_and_due_date() -> None:
    first = al.alert_id("m1", "overdue", date(2026, 11, 20))
    assert first == al.alert_id("m1", "overdue", date(2026, 11, 20))
    assert first != al.alert_id("m1", "overdue", date(2026, 12, 20))
    assert first != al.alert_id("m1", "due_in_3", date(2026, 11, 20))


def test_raised_alert_starts_open_at_the_owner_agency() -> None:
    alert = raised()
    assert (alert.state, alert.level, alert.severity) == ("open", "owner_agency", "high")
    assert alert.days_overdue(TODAY) == 5


def test_final_milestones_are_not_alerted() -> None:
    with pytest.raises(DomainError):
        rules.raise_alert(milestone(status="verified"), "overdue", NOW, LEADS)


def test_escalation_climbs_one_level_per_period_then_renotifies() -> None:
    alert = raised()
    assert rules.escalate(alert, NOW + AFTER - timedelta(seconds=1), AFTER) == []
    seen = []
    at = NOW
    for _ in range(3):
        at += AFTER
        events = rules.escalate(alert, at, AFTER)
        assert len(events) == 1
        alert = al.evolve(alert, events[0])
        seen.append((events[0].type, alert.level))
    assert seen == [
        ("AlertEscalated", "initiative_lead"),
        ("AlertEscalated", "oversight"),
        ("AlertRenotified", "oversight"),
    ]
    assert (alert.escalations, alert.renotifications) == (2, 1)


def test_acknowledgement_needs_a_note_and_stops_escalation() -> None:
    alert = raised()
    with pytest.raises(InvalidValue):
        rules.acknowledge(alert, "  ", NOW)
    alert = al.evolve(alert, rules.acknowledge(alert, "contractor on site", NOW)[0])
    assert alert.state == "acknowledged"
    assert rules.escalate(alert, NOW + 10 * AFTER, AFTER) == []
    with pytest.raises(DomainError):
        rules.acknowledge(alert, "again", NOW)


@pytest.mark.parametrize(
    ("change", "cause"),
    [
        ({"status": "verified"}, "verified"),
        ({"status": "cancelled"}, "cancelled"),
        ({"due": date(2027, 1, 31)}, "rescheduled"),
    ],
)
def test_resolution_causes(change: dict, cause: str) -> None:
    alert = raised()
    found = rules.resolution(alert, milestone(**change), TODAY, LEADS)
    assert found is not None and found[0] == cause


def test_a_due_soon_alert_is_superseded_once_overdue() -> None:
    alert = raised("due_in_3", due=TODAY)
    assert rules.resolution(alert, milestone(TODAY), TODAY, LEADS) is None
    tomorrow = TODAY + timedelta(days=1)
    assert rules.resolution(alert, milestone(TODAY), tomorrow, LEADS) == (
        "superseded",
        "the milestone is now overdue",
    )


def test_resolved_alerts_refuse_further_decisions() -> None:
    alert = raised()
    alert = al.evolve(alert, rules.resolve(alert, "verified", "done", NOW)[0])
    assert not alert.active
    with pytest.raises(DomainError):
        rules.resolve(alert, "verified", "done", NOW)
    with pytest.raises(DomainError):
        rules.acknowledge(alert, "seen", NOW)


def test_alert_events_round_trip_through_the_catalogue() -> None:
    for event in rules.raise_alert(milestone(), "overdue", NOW, LEADS) + rules.acknowledge(
        raised(), "seen", NOW
    ):
        assert ev.from_payload(event.type, event.to_payload()) == event
