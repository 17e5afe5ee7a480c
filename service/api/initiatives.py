"""Initiatives and their milestones."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.aggregates import InitiativeOut, MilestoneIn, MilestoneOut
from schemas.common import EventPageSchema, LogPageArgs
from service.api import streams
from service.api.auth import current_token, services
from service.api.http import correlation_id, idempotency
from service.api.milestones import overdue
from service.api.programmes import created

blp = Blueprint(
    "initiatives",
    __name__,
    url_prefix="/initiatives",
    description="Initiatives, e.g. 'Law and Order in the Army', owned by an agency.",
)


@blp.route("/<uuid:initiative_id>")
class Initiative(MethodView):
    @blp.response(200, InitiativeOut)
    def get(self, initiative_id: Any) -> tuple[Any, int, dict]:
        """Current state of an initiative; ETag is its stream version."""
        return streams.aggregate("initiative", str(initiative_id))


@blp.route("/<uuid:initiative_id>/events")
class InitiativeEvents(MethodView):
    @blp.arguments(LogPageArgs(), location="query")
    @blp.response(200, EventPageSchema)
    def get(self, args: dict[str, int], initiative_id: Any) -> dict[str, Any]:
        """Events of one initiative's stream, oldest first (?after=version). They name who
        acted, so a token is needed even in public read mode."""
        return streams.aggregate_events("initiative", str(initiative_id), args)


@blp.route("/<uuid:initiative_id>/milestones")
class InitiativeMilestones(MethodView):
    @blp.response(200, MilestoneOut(many=True))
    def get(self, initiative_id: Any) -> list[dict[str, Any]]:
        """Milestones of an initiative, in planning order, with derived overdue flags."""
        return streams.children("milestone", str(initiative_id), overdue)

    @blp.arguments(MilestoneIn())
    @blp.response(201, MilestoneOut)
    def post(self, body: dict[str, Any], initiative_id: Any) -> tuple[Any, int, dict]:
        """Plan a milestone: an overseer, or a reporter of the initiative's owner agency
        for a milestone that agency owns."""
        token = current_token()
        outcome = services().tracker.plan_milestone(
            token,
            str(initiative_id),
            idempotency=idempotency(token),
            correlation_id=correlation_id(),
            **body,
        )
        return created(outcome, f"/milestones/{outcome.loaded.state.milestone_id}", overdue)
