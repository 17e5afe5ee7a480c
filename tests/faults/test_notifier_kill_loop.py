"""The notifier (a real `reform-tracker worker`) SIGKILLed at random moments, many times,
while it delivers webhooks: in the end every alert was delivered at least once, each
delivery signed and carrying the alert event's id so the receiver can drop duplicates."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from service.alerts.notifier import QUEUED_LEASE_SECONDS, delivery_log, subscription_store
from service.alerts.scan import OverdueScanner
from service.bootstrap import Services
from service.runtime.clock import FrozenClock
from tests.alerting import Tracked, project_read_models, wired, work_until
from tests.integration.test_webhook_crash import kill_tree, start_worker
from tests.integration.webhook_receiver import Receiver
from workers import runtime
from workers.notify import notify

ITERATIONS = 8
LEASES_RUN_OUT = timedelta(seconds=QUEUED_LEASE_SECONDS + 60)
ALERTS = 6
pytestmark = pytest.mark.slow


@pytest.fixture
def alerting(services: Services) -> Iterator[Services]:
    yield wired(services, webhook_allow_private=True)
    runtime.install(None)


def test_every_alert_is_delivered_despite_random_kills(
    alerting: Services, clock: FrozenClock
) -> None:
    tracked = Tracked(alerting)
    for n in range(ALERTS):
        tracked.milestone(alerting.clock.today() - timedelta(days=n + 1), f"Milestone {n}")
    project_read_models(alerting)
    OverdueScanner(alerting).scan()
    rng = random.Random(7)
    with Receiver() as receiver:
        receiver.delay = 0.15
        issued = subscription_store(alerting).create("webhook", url=receiver.url)
        subscription, receiver.secret = issued.subscription, issued.secret or ""
        for iteration in range(ITERATIONS):
            # Each round starts after every earlier lease ran out (a lost job's queued
            # lease is QUEUED_LEASE_SECONDS): whatever the last kill interrupted is due.
            clock.set(datetime.now(UTC) + LEASES_RUN_OUT * (iteration + 1))
            notify()
            worker = start_worker(alerting)
            time.sleep(rng.uniform(0.2, 2.0))
            kill_tree(worker.pid)
            worker.wait(timeout=30)

        log = delivery_log(alerting)
        clock.set(datetime.now(UTC) + LEASES_RUN_OUT * (ITERATIONS + 1))
        notify()

        def all_delivered() -> bool:
            entries = log.page(subscription.id, None, 50)[0]
            return len(entries) == ALERTS and all(e.status == "delivered" for e in entries)

        work_until(alerting, all_delivered, timeout=120)

    raised = {e.id for e in alerting.store.iter_log() if e.type == "AlertRaised"}
    assert len(raised) == ALERTS
    assert all(r.verified for r in receiver.received)
    assert receiver.unique_deliveries() == raised  # each alert at least once, deduped by id
