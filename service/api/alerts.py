"""The alert feed and acknowledgement."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.alerts import AcknowledgeIn, AlertOut, AlertPage, AlertQuery
from service.alert_feed import AlertFeed
from service.api.auth import current_token, reader, services
from service.api.http import correlation_id, idempotency
from service.domain import alert_rules as rules
from service.domain import alerts as al
from service.domain import events as ev
from service.domain.errors import NotFound
from service.policy import ALERT_ACKNOWLEDGE, authorize
from service.store.chain import Actor
from workers.notify import wake_notifier

blp = Blueprint(
    "alerts",
    __name__,
    url_prefix="/alerts",
    description="Overdue and due-soon milestone alerts, raised by the scheduled "
    "scan. Acknowledging an alert stops its escalation.",
)

FILTERS = {
    "state": "state",
    "severity": "severity",
    "programme": "programme_id",
    "agency": "owner_agency",
}


def shown(doc: dict[str, Any], today: date) -> dict[str, Any]:
    due = date.fromisoformat(doc["due_date"])
    active = doc["state"] != al.RESOLVED
    return {**doc, "days_overdue": max(0, (today - due).days) if active else 0}


def feed() -> AlertFeed:
    found = AlertFeed(services().store)
    found.sync()  # the feed is a projection of the log: catch up before answering
    return found


@blp.route("")
class Alerts(MethodView):
    @blp.arguments(AlertQuery(), location="query")
    @blp.response(200, AlertPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Alerts, newest first, filtered by state, severity, programme and agency."""
        reader()
        filters = {FILTERS[k]: str(v) for k, v in args.items() if k in FILTERS}
        docs, cursor = feed().page(filters, args.get("before"), args["limit"])
        today = services().clock.today()
        return {
            "alerts": [shown(doc, today) for doc in docs],
            "next_cursor": str(cursor) if cursor else None,
        }


@blp.route("/<uuid:alert_id>")
class Alert(MethodView):
    @blp.response(200, AlertOut)
    def get(self, alert_id: Any) -> dict[str, Any]:
        """One alert."""
        reader()
        doc = feed().get(str(alert_id))
        if doc is None:
            raise NotFound(f"alert {alert_id}")
        return shown(doc, services().clock.today())


@blp.route("/<uuid:alert_id>/acknowledge")
class Acknowledge(MethodView):
    @blp.arguments(AcknowledgeIn())
    @blp.response(200, AlertOut)
    def post(self, body: dict[str, Any], alert_id: Any) -> dict[str, Any]:
        """Acknowledge an open alert (overseer, or a reporter of the owner agency); the
        note says what is being done. Escalation stops; 409 if it is not open."""
        token = current_token()
        found = services()
        stream = al.stream_of(str(alert_id))
        records = found.store.read_stream(stream)
        alert = al.fold(ev.from_payload(r.type, r.payload) for r in records)
        if alert is None:
            raise NotFound(f"alert {alert_id}")
        authorize(token, ALERT_ACKNOWLEDGE, alert.owner_agency)
        key = idempotency(token)
        replay = found.store.idempotent_replay(key) if key else None
        if replay is None:
            found.store.append(
                stream,
                rules.acknowledge(alert, body["note"], found.clock.now()),
                expected_version=records[-1].version,
                idempotency=key,
                actor=Actor(token_id=token.id, role=token.role, agency=token.agency),
                correlation_id=correlation_id(),
            )
            wake_notifier(found)
        doc = feed().get(str(alert_id))
        assert doc is not None
        return shown(doc, found.clock.today())
