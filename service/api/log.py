"""The global log and its verification."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.common import EventPageSchema, LogPageArgs, VerifyReportSchema
from service.api.auth import log_reader, reader, services
from service.api.streams import page

blp = Blueprint("log", __name__, description="The append-only, hash-chained global event log.")


@blp.route("/events")
class GlobalLog(MethodView):
    @blp.arguments(LogPageArgs(), location="query")
    @blp.response(200, EventPageSchema)
    def get(self, args: dict[str, int]) -> dict[str, Any]:
        """Every event in global order. Page with ?after=<next_cursor>&limit=. Events name
        who acted, so a token is needed even when the dashboards are public."""
        log_reader()
        events = services().store.read_log(args["after"], args["limit"] + 1)
        return page(events, args["limit"], "position")


@blp.route("/verify")
class Verify(MethodView):
    @blp.response(200, VerifyReportSchema)
    def get(self) -> dict[str, Any]:
        """Walk both hash chains and report the first altered, missing or reordered event."""
        reader()
        return services().store.verify().to_dict()
