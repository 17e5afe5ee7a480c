"""Which subscriptions hear about an alert, and which webhook targets are internal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from ipaddress import ip_address

import pytest

from service.alerts.domain import alerts as al
from service.alerts.subscriptions import Subscription
from service.alerts.webhooks import RefusedTarget, classify, is_public, resolve_target

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
        # IPv6 forms carrying an IPv4 address are judged by the address they carry.
        ("::ffff:93.184.215.14", True),
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 form of 169.254.169.254
        ("64:ff9b::a00:1", False),  # NAT64 form of 10.0.0.1
        ("64:ff9b::5db8:d70e", True),  # NAT64 form of 93.184.215.14 (DNS64 networks)
        ("64:ff9b:1::a9fe:a9fe", False),  # local-use NAT64: its layout is not known
        ("64:ff9b:1::5db8:d70e", False),
        ("::a9fe:a9fe", False),  # IPv4-compatible, deprecated
        ("::5db8:d70e", False),
        ("2002:a9fe:a9fe::1", False),  # 6to4 around 169.254.169.254
        ("2002:c0a8:101::1", False),  # 6to4 around 192.168.1.1
        ("2002:5db8:d70e::1", True),
        ("2001:0:5db8:d70e:0:0:f5ff:fffe", False),  # Teredo, client 10.0.0.1
        ("2001:0:a9fe:a9fe:0:0:a247:28f1", False),  # Teredo, server 169.254.169.254
        ("2001:0:5db8:d70e:0:ffff:a247:28f1", True),  # Teredo, public server and client
    ],
)
def test_internal_addresses(address: str, public: bool) -> None:
    assert is_public(address) is public


@pytest.mark.parametrize(
    ("host", "named"),
    [
        ("[64:ff9b::a9fe:a9fe]", "NAT64 form of 169.254.169.254"),
        ("[64:ff9b:1::a9fe:a9fe]", "local-use NAT64"),
        ("[::ffff:a9fe:a9fe]", "IPv4-mapped form of 169.254.169.254"),
        ("[::a9fe:a9fe]", "IPv4-compatible"),
        ("[2002:a9fe:a9fe::1]", "6to4 form of 169.254.169.254"),
        ("[2001:0:5db8:d70e:0:0:f5ff:fffe]", "Teredo form of 10.0.0.1"),
    ],
)
def test_embedded_internal_targets_are_refused_unless_allowed(host: str, named: str) -> None:
    url = f"http://{host}/latest/meta-data"
    with pytest.raises(RefusedTarget) as refused:
        resolve_target(url, allow_private=False)
    assert named in str(refused.value)
    assert "RT_WEBHOOK_ALLOW_PRIVATE" in str(refused.value)
    [allowed] = resolve_target(url, allow_private=True)
    assert ip_address(allowed) == ip_address(host.strip("[]"))


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
