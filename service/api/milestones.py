"""Milestones: current state, events, and one POST per command."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.aggregates import MilestoneOut
from schemas.commands import COMMAND_BODIES, CommandResult
from schemas.common import EventPageSchema, LogPageArgs
from service.api import streams
from service.api.auth import current_token_with, services
from service.api.http import (
    correlation_id,
    expected_version,
    idempotency,
    represent,
    versioned,
)
from service.tracking.domain import milestone as ms

blp = Blueprint(
    "milestones",
    __name__,
    url_prefix="/milestones",
    description="Milestones and the commands that change them. Every command "
    "appends events; If-Match (ETag) and Idempotency-Key are honoured.",
)


def overdue(state: ms.Milestone) -> dict[str, Any]:
    """Overdue is derived from the clock, never stored (the domain decides what it means)."""
    today = services().clock.today()
    return {"overdue": state.is_overdue(today), "days_overdue": state.days_overdue(today)}


@blp.route("/<uuid:milestone_id>")
class Milestone(MethodView):
    @blp.response(200, MilestoneOut)
    def get(self, milestone_id: Any) -> tuple[Any, int, dict]:
        """Current state of a milestone (folded from its stream); ETag is its version."""
        return streams.aggregate("milestone", str(milestone_id), overdue)


@blp.route("/<uuid:milestone_id>/events")
class MilestoneEvents(MethodView):
    @blp.arguments(LogPageArgs(), location="query")
    @blp.response(200, EventPageSchema)
    def get(self, args: dict[str, int], milestone_id: Any) -> dict[str, Any]:
        """Events of one milestone's stream, oldest first (?after=version). They name who
        acted, so a token is needed even in public read mode."""
        return streams.aggregate_events("milestone", str(milestone_id), args)


def _command_view(verb: str) -> type[MethodView]:
    schema, summary = COMMAND_BODIES[verb]

    class Command(MethodView):
        @blp.arguments(schema())
        @blp.response(200, CommandResult)
        @blp.doc(
            summary=summary,
            description=summary + ". Refused with 409 when the "
            "milestone's status does not allow it; 412 when If-Match is stale.",
        )
        def post(self, body: dict[str, Any], milestone_id: Any) -> tuple[Any, int, dict]:
            tracker = services().tracker
            token, current = current_token_with(tracker.current_milestone(str(milestone_id)))
            if "captured_at" in body:
                body["captured_at"] = body["captured_at"].isoformat()
            outcome = tracker.command(
                token,
                str(milestone_id),
                verb,
                body,
                expected_version=expected_version(),
                idempotency=idempotency(token),
                correlation_id=correlation_id(),
                current=current,
            )
            if not outcome.replayed:
                services().appended(outcome.woke)
            state = represent(outcome.loaded, overdue)
            result = {"milestone": state, "events": [e.to_dict() for e in outcome.appended]}
            return versioned(result, outcome.loaded.version)

    Command.__name__ = "Milestone" + verb.title().replace("-", "")
    return Command


for _verb in COMMAND_BODIES:
    blp.add_url_rule(
        f"/<uuid:milestone_id>/{_verb}",
        endpoint=f"command_{_verb.replace('-', '_')}",
        view_func=_command_view(_verb),
    )
