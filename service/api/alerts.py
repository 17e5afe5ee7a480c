"""The alert feed and acknowledgement."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.alerts import AcknowledgeIn, AlertOut, AlertPage, AlertQuery
from service.access.disclosure import public_document
from service.api.auth import PUBLIC, current_token, reader, services
from service.api.http import correlation_id, idempotency

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


@blp.route("")
class Alerts(MethodView):
    @blp.arguments(AlertQuery(), location="query")
    @blp.response(200, AlertPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Alerts, newest first, filtered by state, severity, programme and agency."""
        public = reader() is PUBLIC
        filters = {FILTERS[k]: str(v) for k, v in args.items() if k in FILTERS}
        alerts, cursor = services().alerts.page(filters, args.get("before"), args["limit"])
        shown = [public_document(alert) for alert in alerts] if public else alerts
        return {"alerts": shown, "next_cursor": str(cursor) if cursor else None}


@blp.route("/<uuid:alert_id>")
class Alert(MethodView):
    @blp.response(200, AlertOut)
    def get(self, alert_id: Any) -> dict[str, Any]:
        """One alert. The public (RT_PUBLIC_READ) sees no acknowledgement note or actor."""
        public = reader() is PUBLIC
        found = services().alerts.alert(str(alert_id))
        return public_document(found) if public else found


@blp.route("/<uuid:alert_id>/acknowledge")
class Acknowledge(MethodView):
    @blp.arguments(AcknowledgeIn())
    @blp.response(200, AlertOut)
    def post(self, body: dict[str, Any], alert_id: Any) -> dict[str, Any]:
        """Acknowledge an open alert (overseer, or a reporter of the owner agency); the
        note says what is being done. Escalation stops; 409 if it is not open."""
        token = current_token()
        return services().alerts.acknowledge(
            token,
            str(alert_id),
            body["note"],
            idempotency=idempotency(token),
            correlation_id=correlation_id(),
        )
