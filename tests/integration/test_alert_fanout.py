"""The notifier's fan-out: which subscription gets a delivery for which alert event, as
an alert escalates past the owner agency to oversight."""

from __future__ import annotations

from datetime import timedelta

from service.alerts.notifier import Notifier, delivery_log, subscription_store
from service.alerts.scan import OverdueScanner
from service.bootstrap import Services
from service.runtime.clock import FrozenClock
from tests.alerting import overdue_alert


def event_types(services: Services, subscription_id: str) -> list[str]:
    found = delivery_log(services).page(subscription_id, None, 50)[0]
    return sorted(event["type"] for delivery in found for event in delivery.events)


def test_each_audience_is_told_from_its_level_and_once(
    services: Services, clock: FrozenClock
) -> None:
    store = subscription_store(services)
    agency = store.create(
        "email", address="desk@pgo.example.org", agency="Prosecutor General's Office"
    ).subscription
    oversight = store.create(
        "email", address="office@oversight.example.org", audience="oversight"
    ).subscription
    other = store.create(
        "email", address="desk@mod.example.org", agency="Ministry of Defence"
    ).subscription
    overdue_alert(services)
    notifier = Notifier(services)
    assert notifier.fan_out() == 1

    for _ in range(3):
        clock.advance(timedelta(hours=48))
        OverdueScanner(services).scan()
    assert notifier.fan_out() == 5  # agency: 2 escalations + renotify; oversight: 2
    assert notifier.fan_out() == 0  # each event fans out once

    assert event_types(services, agency.id) == [
        "AlertEscalated",
        "AlertEscalated",
        "AlertRaised",
        "AlertRenotified",
    ]
    assert event_types(services, oversight.id) == ["AlertEscalated", "AlertRenotified"]
    assert event_types(services, other.id) == []
