"""The overdue scan: raise, escalate and resolve alerts from the due-date index.

Cost grows with the milestones due within the longest lead time (one ZRANGEBYSCORE on
the due-date index, then their read models) and with the alerts still active, never with
all milestones. Every outcome is an event; the alert's own stream version makes each
append a compare-and-set, so two scans at once cannot raise or escalate twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from service.alerts.domain import alerts as al
from service.alerts.domain import rules
from service.alerts.feed import AlertFeed, from_doc
from service.dashboards.readmodels import ReadModels
from service.ledger.batch import Append, append_each
from service.ledger.domain.chain import Actor
from service.ledger.eventstore import VersionConflict
from service.ledger.infrastructure import Infrastructure
from service.tracking.domain.milestone import FINAL

SCANNER = Actor(token_id="alert-scanner", role="system", agency=None)


def load_milestones(readmodels: ReadModels, ids: list[str]) -> dict[str, rules.DueMilestone]:
    return {
        record.milestone_id: rules.DueMilestone(
            milestone_id=record.milestone_id,
            initiative_id=record.initiative_id,
            programme_id=record.programme_id,
            owner_agency=record.owner_agency,
            title=record.title,
            due_date=date.fromisoformat(record.due_date),
            status=record.status,
        )
        for record in readmodels.milestones(ids)
    }


@dataclass
class ScanReport:
    due: int = 0
    appended: dict[str, int] = field(default_factory=dict)

    def count(self, event_type: str) -> None:
        self.appended[event_type] = self.appended.get(event_type, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.appended)


class OverdueScanner:
    def __init__(self, services: Infrastructure) -> None:
        self.services = services
        self.store = services.store
        self.feed = AlertFeed(services.store)
        self.leads = services.config.alert_lead_days
        self.escalate_after = timedelta(hours=services.config.alert_escalate_after_hours)

    def scan(self) -> ScanReport:
        now = self.services.clock.now()
        today = now.date()
        report = ScanReport()
        self.feed.sync()
        horizon = today + timedelta(days=max(self.leads, default=0))
        readmodels = ReadModels(self.services.redis, self.services.keys)
        due_ids = [milestone_id for milestone_id, _ in readmodels.due_between(None, horizon)]
        due = load_milestones(readmodels, due_ids)
        report.due = len(due)
        appends = self._raises(due, now)
        active = [(from_doc(doc), doc["version"]) for doc in self.feed.active()]
        missing = [a.milestone_id for a, _ in active if a.milestone_id not in due]
        current = {**due, **load_milestones(readmodels, missing)}
        for alert, version in active:
            milestone = current.get(alert.milestone_id)
            if milestone is None:
                continue  # not projected yet; the next scan sees it
            cause = rules.resolution(alert, milestone, today, self.leads)
            events = (
                rules.resolve(alert, *cause, now)
                if cause
                else rules.escalate(alert, now, self.escalate_after)
            )
            if events:
                appends.append((al.stream_of(alert.alert_id), events, version))
        # One pipeline, so the scan's appends share an fsync instead of waiting one each.
        outcomes = append_each(self.store, appends, actor=SCANNER, correlation_id=str(uuid.uuid4()))
        for (_stream, decided, _version), outcome in zip(appends, outcomes, strict=True):
            if not isinstance(outcome, VersionConflict):  # a conflict: someone else's stands
                for event in decided:
                    report.count(event.type)
        self.feed.sync()
        return report

    def _raises(self, due: dict[str, rules.DueMilestone], now: datetime) -> list[Append]:
        """AlertRaised for each condition reached that the feed does not know yet; the
        expected version 0 refuses it if another scan raised it meanwhile."""
        wanted = []
        for milestone in due.values():
            if milestone.status in FINAL:
                continue  # verified or cancelled, and the index has not caught up yet
            condition = rules.condition_for(milestone.due_date, now.date(), self.leads)
            if condition:
                wanted.append((milestone, condition))
        ids = [al.alert_id(m.milestone_id, c, m.due_date) for m, c in wanted]
        return [
            (al.stream_of(alert_id), rules.raise_alert(milestone, condition, now, self.leads), 0)
            for (milestone, condition), alert_id, known in zip(
                wanted, ids, self.feed.known(ids), strict=True
            )
            if not known
        ]
