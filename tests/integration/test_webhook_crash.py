"""At-least-once: a worker SIGKILLed in the middle of a webhook delivery (a real
`reform-tracker worker` process) does not lose the alert; the next notifier run sends
it again with the same webhook-id, so the receiver can drop the duplicate."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.alerts.notifier import delivery_log, subscription_store
from service.bootstrap import Services
from service.runtime.clock import FrozenClock
from tests.alerting import overdue_alert, wired, work_until
from tests.integration.webhook_receiver import Receiver
from workers import runtime
from workers.notify import notify


@pytest.fixture
def alerting(services: Services) -> Iterator[Services]:
    yield wired(services, webhook_allow_private=True)
    runtime.install(None)


def start_worker(services: Services) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RT_REDIS_URL": services.config.redis_url,
        "RT_KEY_PREFIX": services.config.key_prefix,
        "RT_WEBHOOK_ALLOW_PRIVATE": "1",
        "RT_SECRETS_KEY": services.config.secrets_key,
        "RT_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], env=env)


def descendants(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return children + [grandchild for child in children for grandchild in descendants(child)]


def kill_tree(pid: int) -> None:
    """SIGKILL the worker and the work horse it forked (RQ puts the horse in its own
    process group, so killing the worker's group would leave the horse running)."""
    for victim in [pid, *descendants(pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)


def test_delivery_survives_a_worker_killed_mid_request(
    alerting: Services, clock: FrozenClock
) -> None:
    with Receiver() as receiver:
        issued = subscription_store(alerting).create("webhook", url=receiver.url)
        subscription, receiver.secret = issued.subscription, issued.secret or ""
        overdue_alert(alerting)
        notify()
        receiver.hold_requests()
        worker = start_worker(alerting)
        try:
            assert len(receiver.wait_for(1, timeout=60)) == 1, "the worker never called"
        finally:
            kill_tree(worker.pid)
            worker.wait(timeout=30)
        receiver.release()  # the held handler answers into a closed socket
        [delivery] = delivery_log(alerting).page(subscription.id, None, 5)[0]
        assert delivery.status == "sending", (delivery, receiver.received)

        # The killed worker's lease runs out (its clock is the wall clock)...
        clock.set(datetime.now(UTC) + timedelta(minutes=5))
        notify()
        # ...and the next run delivers it.
        log = delivery_log(alerting)
        work_until(alerting, lambda: getattr(log.get(delivery.id), "status", "") == "delivered")

    final = delivery_log(alerting).get(delivery.id)
    assert final is not None
    assert [a["result"] for a in final.attempt_log] == ["interrupted", "delivered"]
    assert len(receiver.received) == 2
    assert {r.webhook_id for r in receiver.received} == receiver.unique_deliveries()
    assert len(receiver.unique_deliveries()) == 1
