"""Alert e-mail through a real SMTP server (aiosmtpd) on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest

from service.alerts.notifier import delivery_log, subscription_store
from service.alerts.scan import OverdueScanner
from service.bootstrap import Services
from tests.alerting import Tracked, project_read_models, wired, work_until
from tests.integration.smtp_inbox import Inbox
from workers import runtime
from workers.delivery import send_digests
from workers.notify import notify

TO = "oversight@example.org"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with Inbox() as handler:
        yield handler, handler.port


@pytest.fixture
def mailing(services: Services, inbox: tuple[Inbox, int]) -> Iterator[Services]:
    yield wired(
        services,
        smtp_host="127.0.0.1",
        smtp_port=inbox[1],
        base_url="https://tracker.example.org",
        delivery_retry_intervals=(1,),
    )
    runtime.install(None)


def finished(services: Services, subscription_id: str) -> bool:
    found = delivery_log(services).page(subscription_id, None, 50)[0]
    return bool(found) and all(d.status in ("delivered", "failed") for d in found)


def overdue_email(
    mailing: Services, inbox: tuple[Inbox, int], **subscription: object
) -> tuple[EmailMessage, str]:
    """The one e-mail a new subscription gets about a milestone four days overdue, and
    the milestone's id."""
    subscribed = subscription_store(mailing).create("email", address=TO, **subscription)
    tracked = Tracked(mailing)
    milestone = tracked.milestone(
        mailing.clock.today() - timedelta(days=4), title="Video surveillance in units"
    )
    project_read_models(mailing)
    OverdueScanner(mailing).scan()
    notify()
    work_until(mailing, lambda: finished(mailing, subscribed.subscription.id))
    [message] = inbox[0].messages
    return message, milestone


def test_overdue_alert_email_names_milestone_initiative_due_date_and_link(
    mailing: Services, inbox: tuple[Inbox, int]
) -> None:
    message, milestone = overdue_email(mailing, inbox)
    body = message.get_content()
    assert message["To"] == TO and "overdue by 4 days" in message["Subject"]
    # RFC 5322 requires Date:, written when the message is sent (the frozen clock here).
    assert message["Date"].datetime == mailing.clock.now().replace(microsecond=0)
    assert "Already open" not in body
    assert message.get_content_type() == "text/plain"
    for expected in (
        "Milestone:     Video surveillance in units",
        "Initiative:    Law and Order in the Army",
        "Due date:      2026-11-21",
        "Days overdue:  4",
        f"Link:          https://tracker.example.org/ui/milestones/{milestone}",
    ):
        assert expected in body


def test_daily_digest_gathers_alerts_into_one_message(
    mailing: Services, inbox: tuple[Inbox, int]
) -> None:
    subscription = subscription_store(mailing).create("email", address=TO, digest=True).subscription
    tracked = Tracked(mailing)
    tracked.milestone(mailing.clock.today() - timedelta(days=2), title="Body cameras")
    tracked.milestone(mailing.clock.today() + timedelta(days=2), title="Online consultation")
    project_read_models(mailing)
    OverdueScanner(mailing).scan()
    notify()
    assert delivery_log(mailing).page(subscription.id, None, 10)[0] == []

    assert send_digests()["digests"] == 1
    work_until(mailing, lambda: finished(mailing, subscription.id))
    assert send_digests()["digests"] == 0  # the gathered events went out once

    [message] = inbox[0].messages
    assert "2 alert(s)" in message["Subject"]
    assert message["Date"].datetime == mailing.clock.now().replace(microsecond=0)
    body = message.get_content()
    assert "Body cameras" in body and "Online consultation" in body


def test_permanent_smtp_refusal_is_not_retried(mailing: Services, inbox: tuple[Inbox, int]) -> None:
    inbox[0].reply = "554 Transaction failed"
    subscription = subscription_store(mailing).create("email", address=TO).subscription
    tracked = Tracked(mailing)
    tracked.milestone(mailing.clock.today() - timedelta(days=1))
    project_read_models(mailing)
    OverdueScanner(mailing).scan()
    notify()
    work_until(mailing, lambda: finished(mailing, subscription.id))

    [delivery] = delivery_log(mailing).page(subscription.id, None, 10)[0]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 554)


def test_a_new_email_subscription_hears_at_once_of_open_alerts_marked_already_open(
    mailing: Services, inbox: tuple[Inbox, int]
) -> None:
    tracked = Tracked(mailing)
    today = mailing.clock.today()
    tracked.milestone(today - timedelta(days=6), title="Body cameras")
    tracked.milestone(today - timedelta(days=3), title="Video surveillance")
    project_read_models(mailing)
    OverdueScanner(mailing).scan()
    notify()  # before anyone subscribed
    [acknowledged] = [
        a for a in mailing.alerts.open_alerts() if a["milestone_title"] == "Video surveillance"
    ]
    mailing.alerts.acknowledge(tracked.overseer, acknowledged["alert_id"], "cameras ordered")
    admin = mailing.tokens.create("admin", None, "admin")[1]

    subscription = mailing.alerts.subscribe(admin, "email", address=TO).subscription
    work_until(mailing, lambda: finished(mailing, subscription.id))
    digest = mailing.alerts.subscribe(admin, "email", address=TO, digest=True).subscription
    assert send_digests()["digests"] == 1
    work_until(mailing, lambda: finished(mailing, digest.id))

    # E-mail asks someone to act: the acknowledged alert is not sent, the open one is.
    single, gathered = inbox[0].messages
    for message in (single, gathered):
        body = message.get_content()
        assert "Body cameras" in body and "Video surveillance" not in body
        assert f"Already open:  since {today}, before this subscription was created" in body
        assert message["Date"] is not None
    assert single.get_content().startswith("Already open: Body cameras")


def test_email_to_a_russian_subscription_is_written_in_russian(
    mailing: Services, inbox: tuple[Inbox, int]
) -> None:
    message, _milestone = overdue_email(mailing, inbox, language="ru")
    body = message.get_content()
    # The clock reads 2026-11-25: due on the 21st, four days ago. Titles stay as written.
    assert message["Subject"] == (
        "[Reform Tracker] Video surveillance in units: просрочено на 4 дня"
    )
    assert body.startswith("Новое оповещение: Video surveillance in units\n\n")
    for expected in (
        "Веха:                     Video surveillance in units",
        "Срок:                     21 нояб. 2026\u202fг.",
        "Дней просрочки:           4",
        "Важность:                 ",
        "Эскалировано до:          ответственное ведомство",
        "Чтобы остановить эскалацию, подтвердите оповещение с пояснением:",
    ):
        assert expected in body, expected
    assert "Milestone" not in body and "overdue" not in body
