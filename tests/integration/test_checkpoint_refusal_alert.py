"""The log refusing to sign a checkpoint reaches people: the worker's projection job
raises a system alert, once, and the notifier delivers it to every subscription that
watches everything, over a real webhook receiver and a real SMTP server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from service.alerts.notifier import delivery_log
from service.bootstrap import Services
from service.dashboards.projector import catch_up
from service.ledger.signing import create_key
from service.runtime.clock import FrozenClock
from tests.alerting import Tracked, wired, work_until
from tests.integration.smtp_inbox import Inbox
from tests.integration.webhook_receiver import Receiver
from workers import runtime
from workers.jobs import project
from workers.notify import notify


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with Inbox() as found:
        yield found


@pytest.fixture
def alerting(services: Services, inbox: Inbox) -> Iterator[Services]:
    create_key(services.config.signing_key_path, "tracker.example/log")
    yield wired(
        services,
        webhook_allow_private=True,
        smtp_host="127.0.0.1",
        smtp_port=inbox.port,
        base_url="https://tracker.example.org",
        delivery_retry_intervals=(1,),
    )
    runtime.install(None)


def test_a_refused_checkpoint_is_raised_once_to_every_subscription_that_watches_everything(
    alerting: Services, inbox: Inbox
) -> None:
    admin = alerting.tokens.create("admin", None, "admin")[1]
    tracked = Tracked(alerting)
    with Receiver() as receiver:
        hook = alerting.alerts.subscribe(admin, "webhook", url=receiver.url)
        receiver.secret = hook.secret or ""
        mail = alerting.alerts.subscribe(admin, "email", address="audit@example.org", digest=True)
        scoped = alerting.alerts.subscribe(
            admin, "webhook", url=receiver.url, programme_id=tracked.programme_id
        )
        catch_up(alerting)
        signed = alerting.store.checkpoints.latest()
        assert signed is not None
        assert project() == 0 and notify()["system"] == 0  # nothing refused: no alert

        # An operator rewrites the subtree of the first two events; the log grows on.
        alerting.redis.hset(alerting.keys.tree, "1:0", bytes(32).hex())
        tracked.plan(alerting.clock.today() + timedelta(days=40))
        clock = alerting.clock
        assert isinstance(clock, FrozenClock)
        clock.advance(timedelta(hours=1))
        project()  # the worker's job: refuses to sign, raises the alert, wakes the notifier
        assert alerting.store.checkpoints.latest() == signed
        work_until(alerting, lambda: len(receiver.received) >= 1 and len(inbox.messages) >= 1)

        clock.advance(timedelta(hours=1))
        project()  # refused again, against the same checkpoint: not raised again
        assert notify()["system"] == 0

    [hooked] = receiver.received
    assert hooked.verified
    payload = hooked.payload
    assert payload["type"] == "log.checkpoint_refused"
    assert payload["data"]["checkpoint_size"] == signed.size
    assert payload["data"]["tree_size"] == signed.size + 1
    assert "not consistent" in payload["data"]["reason"]
    [message] = inbox.messages
    assert message["To"] == "audit@example.org" and message["Date"] is not None
    assert "The log refused to sign a checkpoint" in message["Subject"]
    body = message.get_content()
    assert f"Last checkpoint signed:  {signed.size} events" in body
    assert "https://tracker.example.org/checkpoints" in body
    log = delivery_log(alerting)
    assert [d.kind for d in log.page(hook.subscription.id, None, 10)[0]] == ["system"]
    assert [d.kind for d in log.page(mail.subscription.id, None, 10)[0]] == ["system"]
    assert log.page(scoped.subscription.id, None, 10)[0] == []  # scoped: not its business
    refusal = json.loads(alerting.redis.get(alerting.keys.checkpoint_refusal) or "{}")
    assert refusal["checkpoint_size"] == signed.size


def test_a_refusal_nobody_watches_for_waits_for_the_first_subscription_that_does(
    alerting: Services, inbox: Inbox
) -> None:
    admin = alerting.tokens.create("admin", None, "admin")[1]
    tracked = Tracked(alerting)
    scoped = alerting.alerts.subscribe(
        admin, "email", address="desk@example.org", agency="Ministry of Defence"
    )
    catch_up(alerting)
    alerting.redis.hset(alerting.keys.tree, "1:0", bytes(32).hex())
    tracked.plan(alerting.clock.today() + timedelta(days=40))
    clock = alerting.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(hours=1))
    project()
    assert alerting.redis.get(alerting.keys.checkpoint_refusal)
    assert notify()["system"] == 0  # refused, but nobody watches everything yet

    watcher = alerting.alerts.subscribe(admin, "email", address="audit@example.org")
    assert notify()["system"] == 1  # the next notifier run raises it to the newcomer
    work_until(alerting, lambda: len(inbox.messages) >= 1)
    assert notify()["system"] == 0
    [message] = inbox.messages
    assert message["To"] == "audit@example.org"
    assert delivery_log(alerting).page(scoped.subscription.id, None, 10)[0] == []
    assert [d.kind for d in delivery_log(alerting).page(watcher.subscription.id, None, 10)[0]] == [
        "system"
    ]
