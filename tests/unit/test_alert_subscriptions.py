"""Which subscriptions hear about an alert, and which webhook targets are internal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from service.alerts.domain import alerts as al
from service.alerts.subscriptions import Subscription
from service.alerts.webhooks import classify, is_public

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ALERT = al.Alert(
    alert_id="a1",
    milestone_id="m1",
    initiative_id="i1",
    programme_id="p1",
    owner_agency="PGO",
    milestone_title="Body cameras",
    condition="overdue",
    severity="high",
    due_date=date(2026, 11, 20),
    level="owner_agency",
    raised_at=AT,
    last_notified_at=AT,
)


def subscription(**filters: object) -> Subscription:
    return Subscription(id="s1", channel="webhook", created_at="", **filters)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("filters", "matches"),
    [
        ({}, True),
        ({"programme_id": "p1", "initiative_id": "i1", "agency": "PGO"}, True),
        ({"programme_id": "p2"}, False),
        ({"initiative_id": "i2"}, False),
        ({"agency": "Ministry of Defence"}, False),
        ({"severities": ("high",)}, True),
        ({"severities": ("low", "medium")}, False),
        ({"disabled": True}, False),
    ],
)
def test_filters(filters: dict, matches: bool) -> None:
    assert subscription(**filters).matches(ALERT) is matches


def test_audience_hears_from_its_escalation_level_on() -> None:
    oversight = subscription(audience="oversight")
    assert not oversight.matches(ALERT)
    assert not oversight.matches(replace(ALERT, level="initiative_lead"))
    assert oversight.matches(replace(ALERT, level="oversight"))
    assert subscription(audience="owner_agency").matches(replace(ALERT, level="oversight"))


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::6810:84e5", True),
        ("127.0.0.1", False),
        ("10.0.0.8", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fd00::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:127.0.0.1", False),
    ],
)
def test_internal_addresses(address: str, public: bool) -> None:
    assert is_public(address) is public


def test_status_classes() -> None:
    assert [classify(code) for code in (200, 204, 301, 400, 404, 408, 410, 429, 500, 503)] == [
        "delivered",
        "delivered",
        "failed",
        "failed",
        "failed",
        "retry",
        "gone",
        "retry",
        "retry",
        "retry",
    ]
