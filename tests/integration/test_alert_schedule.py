"""The alert jobs as `reform-tracker scheduler` registers them with rq.cron.CronScheduler,
run by a real RQ worker: the scan raises, wakes the notifier, and the webhook arrives."""

from __future__ import annotations

from datetime import timedelta

from rq.cron import CronScheduler

from service.alerts.notifier import subscription_store
from service.bootstrap import Services
from tests.alerting import Tracked, project_read_models, wired, work_until
from tests.integration.webhook_receiver import Receiver
from workers import runtime
from workers.registry import register_periodic_jobs


def test_scheduled_scan_raises_and_delivers(services: Services) -> None:
    alerting = wired(services, webhook_allow_private=True)
    try:
        with Receiver() as receiver:
            issued = subscription_store(alerting).create("webhook", url=receiver.url)
            receiver.secret = issued.secret or ""
            tracked = Tracked(alerting)
            tracked.milestone(alerting.clock.today() - timedelta(days=2))
            project_read_models(alerting)

            scheduler = CronScheduler(connection=alerting.jobs.connection)
            register_periodic_jobs(scheduler)
            enqueued = {job.func_name for job in scheduler.enqueue_jobs()}
            assert {
                "workers.alerts.scan_for_overdue_milestones",
                "workers.notify.notify",
            } <= enqueued

            work_until(alerting, lambda: len(receiver.received) == 1)
    finally:
        runtime.install(None)

    [got] = receiver.received
    assert got.verified and got.payload["type"] == "alert.raised"
    assert [e.type for e in alerting.store.iter_log()].count("AlertRaised") == 1
