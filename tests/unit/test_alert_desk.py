"""The AlertDesk application service on fakeredis: acknowledging an alert (and every way
it is refused), deciding again when the scan moved the alert on first, and
subscriptions kept to administrators."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from service.access.policy import Forbidden, TokenRecord
from service.alerts.feed import AlertFeed
from service.alerts.scan import OverdueScanner
from service.alerts.subscriptions import EMAIL
from service.bootstrap import Services
from service.ledger.domain.errors import DomainError, NotFound
from service.ledger.eventstore import VersionConflict
from service.runtime.clock import FrozenClock
from tests.alerting import Tracked, overdue_alert, project_read_models
from tests.conftest import AGENCY_B


@pytest.fixture
def raised(services: Services) -> tuple[Tracked, str]:
    """An overdue milestone of agency A and the id of its open alert."""
    tracked, milestone_id = overdue_alert(services)
    docs, _ = AlertFeed(services.store).page({"milestone_id": milestone_id}, None, 10)
    assert [doc["state"] for doc in docs] == ["open"]
    return tracked, docs[0]["alert_id"]


def stream_types(services: Services, alert_id: str) -> list[str]:
    return [e.type for e in services.store.read_stream(f"alert-{alert_id}")]


def test_the_owning_agency_acknowledges_an_open_alert(
    raised: tuple[Tracked, str], services: Services
) -> None:
    tracked, alert_id = raised
    doc = services.alerts.acknowledge(tracked.reporter, alert_id, "  cameras arrive Monday ")
    assert (doc["state"], doc["acknowledged_note"]) == ("acknowledged", "cameras arrive Monday")
    assert doc["days_overdue"] == 3
    assert stream_types(services, alert_id) == ["AlertRaised", "AlertAcknowledged"]
    assert services.alerts.alert(alert_id) == doc


def test_an_unknown_alert_is_not_found(services: Services) -> None:
    overseer = services.tokens.create("overseer", None)[1]
    with pytest.raises(NotFound):
        services.alerts.acknowledge(overseer, "no-such-alert", "seen")
    assert services.store.head_position() == 0


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda s: s.tokens.create("reporter", AGENCY_B)[1], id="other-agency"),
        pytest.param(lambda s: s.tokens.create("viewer", None)[1], id="viewer"),
    ],
)
def test_a_caller_without_the_right_is_refused_and_nothing_is_appended(
    make_token: Callable[[Services], TokenRecord],
    raised: tuple[Tracked, str],
    services: Services,
) -> None:
    _, alert_id = raised
    head = services.store.head_position()
    with pytest.raises(Forbidden):
        services.alerts.acknowledge(make_token(services), alert_id, "seen")
    assert services.store.head_position() == head


def test_an_alert_that_is_not_open_cannot_be_acknowledged(
    raised: tuple[Tracked, str], services: Services
) -> None:
    tracked, alert_id = raised
    services.alerts.acknowledge(tracked.reporter, alert_id, "seen")
    head = services.store.head_position()
    with pytest.raises(DomainError) as refused:
        services.alerts.acknowledge(tracked.overseer, alert_id, "seen again")
    assert refused.value.code == "illegal_transition"
    assert services.store.head_position() == head


def test_an_escalation_that_lands_first_is_survived_by_deciding_again(
    raised: tuple[Tracked, str],
    services: Services,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tracked, alert_id = raised
    store = services.store
    read_stream, append = store.read_stream, store.append
    conflicts: list[VersionConflict] = []

    def read_then_escalate(*args: Any, **kwargs: Any) -> Any:
        records = read_stream(*args, **kwargs)
        if not conflicts and len(records) == 1:
            # The scan escalates between the desk's read and its append.
            clock.advance(timedelta(hours=services.config.alert_escalate_after_hours))
            project_read_models(services)
            assert OverdueScanner(services).scan().appended == {"AlertEscalated": 1}
        return records

    def recording_append(*args: Any, **kwargs: Any) -> Any:
        try:
            return append(*args, **kwargs)
        except VersionConflict as conflict:
            conflicts.append(conflict)
            raise

    monkeypatch.setattr(store, "read_stream", read_then_escalate)
    monkeypatch.setattr(store, "append", recording_append)
    doc = services.alerts.acknowledge(tracked.reporter, alert_id, "seen")

    assert len(conflicts) == 1
    assert stream_types(services, alert_id) == [
        "AlertRaised",
        "AlertEscalated",
        "AlertAcknowledged",
    ]
    assert (doc["state"], doc["level"]) == ("acknowledged", "initiative_lead")


def test_a_resolution_that_lands_first_makes_the_acknowledgement_a_conflict(
    raised: tuple[Tracked, str], services: Services
) -> None:
    tracked, alert_id = raised
    milestone_id = services.alerts.alert(alert_id)["milestone_id"]
    tracked.command(
        milestone_id, "reschedule", new_due_date=services.clock.today(), reason="re-planned"
    )
    tracked.command(milestone_id, "cancel", reason="dropped")
    project_read_models(services)
    assert OverdueScanner(services).scan().appended == {"AlertResolved": 1}
    with pytest.raises(DomainError):
        services.alerts.acknowledge(tracked.reporter, alert_id, "seen")


SUBSCRIPTION_CALLS: dict[str, Callable[[Services, TokenRecord], Any]] = {
    "list": lambda s, t: s.alerts.subscriptions(t),
    "get": lambda s, t: s.alerts.subscription(t, "any"),
    "subscribe": lambda s, t: s.alerts.subscribe(t, EMAIL, address="desk@example.org"),
    "unsubscribe": lambda s, t: s.alerts.unsubscribe(t, "any"),
    "deliveries": lambda s, t: s.alerts.deliveries(t, "any", None, 10),
    "redeliver": lambda s, t: s.alerts.redeliver(t, "any", "any"),
}


@pytest.mark.parametrize("role", ["viewer", "reporter", "overseer"])
@pytest.mark.parametrize("call", sorted(SUBSCRIPTION_CALLS))
def test_subscriptions_are_refused_to_everyone_but_administrators(
    call: str, role: str, services: Services
) -> None:
    caller = services.tokens.create(role, AGENCY_B if role == "reporter" else None)[1]
    with pytest.raises(Forbidden):
        SUBSCRIPTION_CALLS[call](services, caller)
    admin = services.tokens.create("admin", None)[1]
    assert services.alerts.subscriptions(admin) == []


def test_an_administrator_subscribes_lists_and_unsubscribes(services: Services) -> None:
    admin = services.tokens.create("admin", None)[1]
    made = services.alerts.subscribe(admin, EMAIL, address="desk@example.org").subscription
    assert services.alerts.subscriptions(admin) == [made]
    assert services.alerts.subscription(admin, made.id) == made
    assert services.alerts.deliveries(admin, made.id, None, 10) == ([], None)
    services.alerts.unsubscribe(admin, made.id)
    with pytest.raises(NotFound):
        services.alerts.unsubscribe(admin, made.id)
    assert services.alerts.subscriptions(admin) == []
