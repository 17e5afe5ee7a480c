"""The overdue scan, on fakeredis: raise once, escalate as time moves, resolve when the
milestone is verified, rescheduled or overtaken by a more urgent condition. Time moves on
a frozen clock; nothing sleeps."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from service.alerts.feed import AlertFeed
from service.alerts.scan import OverdueScanner
from service.bootstrap import Services
from service.runtime.clock import FrozenClock
from tests.alerting import Tracked, project_read_models

TODAY = date(2026, 11, 25)  # the clock fixture's day


def alerts_of(services: Services, milestone_id: str) -> list[dict]:
    return AlertFeed(services.store).page({"milestone_id": milestone_id}, None, 50)[0]


def alert_types(services: Services, milestone_id: str) -> list[str]:
    return sorted(f"{d['condition']}:{d['state']}" for d in alerts_of(services, milestone_id))


def test_each_condition_is_raised_once_and_a_second_scan_adds_nothing(
    services: Services,
) -> None:
    tracked = Tracked(services)
    overdue = tracked.milestone(TODAY - timedelta(days=5))
    due_in_3 = tracked.milestone(TODAY + timedelta(days=2))
    due_in_14 = tracked.milestone(TODAY + timedelta(days=10))
    later = tracked.milestone(TODAY + timedelta(days=60))
    verified = tracked.milestone(TODAY - timedelta(days=9))
    for verb in ("start", "report-complete", "verify"):
        tracked.command(verified, verb)
    project_read_models(services)

    report = OverdueScanner(services).scan()

    assert report.appended == {"AlertRaised": 3}
    assert alert_types(services, overdue) == ["overdue:open"]
    assert alert_types(services, due_in_3) == ["due_in_3:open"]
    assert alert_types(services, due_in_14) == ["due_in_14:open"]
    assert alert_types(services, later) == alert_types(services, verified) == []
    doc = alerts_of(services, overdue)[0]
    assert (doc["severity"], doc["level"], doc["due_date"]) == (
        "high",
        "owner_agency",
        (TODAY - timedelta(days=5)).isoformat(),
    )

    head = services.store.head_position()
    assert OverdueScanner(services).scan().appended == {}
    assert services.store.head_position() == head
    assert services.store.verify().ok


def test_unacknowledged_alert_escalates_one_level_per_period(
    services: Services, clock: FrozenClock
) -> None:
    tracked = Tracked(services)
    milestone = tracked.milestone(TODAY - timedelta(days=1))
    project_read_models(services)
    OverdueScanner(services).scan()

    clock.advance(timedelta(hours=47))
    assert OverdueScanner(services).scan().appended == {}
    levels = []
    for _ in range(3):
        clock.advance(timedelta(hours=48))
        report = OverdueScanner(services).scan()
        doc = alerts_of(services, milestone)[0]
        levels.append((report.appended, doc["level"]))
    assert levels == [
        ({"AlertEscalated": 1}, "initiative_lead"),
        ({"AlertEscalated": 1}, "oversight"),
        ({"AlertRenotified": 1}, "oversight"),
    ]


def test_reschedule_resolves_the_alert_and_the_new_date_is_watched_afresh(
    services: Services,
) -> None:
    tracked = Tracked(services)
    milestone = tracked.milestone(TODAY - timedelta(days=3))
    project_read_models(services)
    OverdueScanner(services).scan()

    tracked.command(
        milestone,
        "reschedule",
        new_due_date=TODAY + timedelta(days=60),
        reason="procurement re-tendered",
    )
    project_read_models(services)
    assert OverdueScanner(services).scan().appended == {"AlertResolved": 1}
    doc = alerts_of(services, milestone)[0]
    assert (doc["state"], doc["resolved_cause"]) == ("resolved", "rescheduled")
    assert doc["resolved_detail"].endswith((TODAY + timedelta(days=60)).isoformat())

    tracked.command(
        milestone,
        "reschedule",
        new_due_date=TODAY + timedelta(days=6),
        reason="cameras delivered early",
    )
    project_read_models(services)
    assert OverdueScanner(services).scan().appended == {"AlertRaised": 1}
    assert alert_types(services, milestone) == ["due_in_14:open", "overdue:resolved"]


def test_verification_resolves_and_overdue_supersedes_due_soon(
    services: Services, clock: FrozenClock
) -> None:
    tracked = Tracked(services)
    to_verify = tracked.milestone(TODAY - timedelta(days=2))
    soon = tracked.milestone(TODAY + timedelta(days=1))
    project_read_models(services)
    OverdueScanner(services).scan()

    for verb in ("start", "report-complete", "verify"):
        tracked.command(to_verify, verb)
    clock.advance(timedelta(days=2))
    project_read_models(services)
    report = OverdueScanner(services).scan()

    assert report.appended == {"AlertResolved": 2, "AlertRaised": 1}
    assert alert_types(services, to_verify) == ["overdue:resolved"]
    assert alert_types(services, soon) == ["due_in_3:resolved", "overdue:open"]
    assert [d["resolved_cause"] for d in alerts_of(services, to_verify)] == ["verified"]
    causes = {d["condition"]: d["resolved_cause"] for d in alerts_of(services, soon)}
    assert causes == {"overdue": None, "due_in_3": "superseded"}


def test_concurrent_scans_raise_each_alert_once(services: Services) -> None:
    tracked = Tracked(services)
    for days in range(1, 9):
        tracked.milestone(TODAY - timedelta(days=days))
    project_read_models(services)

    threads = [threading.Thread(target=OverdueScanner(services).scan) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    raised = [e for e in services.store.iter_log() if e.type == "AlertRaised"]
    assert len(raised) == 8
    assert len({e.stream for e in raised}) == 8
    assert services.store.verify().ok
