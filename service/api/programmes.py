"""Programmes and the initiatives they group."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.aggregates import InitiativeIn, InitiativeOut, ProgrammeIn, ProgrammeOut
from schemas.common import EventPageSchema, LogPageArgs
from service.access import policy
from service.api import streams
from service.api.auth import require, services
from service.api.http import correlation_id, idempotency, represent, versioned

blp = Blueprint(
    "programmes",
    __name__,
    url_prefix="/programmes",
    description="Reform programmes, e.g. 'Army reform 2026'.",
)


def created(
    outcome: Any, location: str, derive: streams.Derive | None = None
) -> tuple[Any, int, dict]:
    body, _status, headers = versioned(represent(outcome.loaded, derive), outcome.loaded.version)
    if not outcome.replayed:
        services().appended(outcome.woke)
    headers["Location"] = location
    return body, 201, headers


@blp.route("")
class Programmes(MethodView):
    @blp.response(200, ProgrammeOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """List programmes, oldest first."""
        return streams.children("programme", None)

    @blp.arguments(ProgrammeIn())
    @blp.response(201, ProgrammeOut, headers={"ETag": {"schema": {"type": "string"}}})
    def post(self, body: dict[str, Any]) -> tuple[Any, int, dict]:
        """Create a programme (overseer or admin). Honours Idempotency-Key."""
        token = require(policy.PROGRAMME_CREATE)
        outcome = services().tracker.create_programme(
            token, idempotency(token), correlation_id(), **body
        )
        return created(outcome, f"/programmes/{outcome.loaded.state.programme_id}")


@blp.route("/<uuid:programme_id>")
class Programme(MethodView):
    @blp.response(200, ProgrammeOut)
    def get(self, programme_id: Any) -> tuple[Any, int, dict]:
        """Current state of a programme; ETag is its stream version."""
        return streams.aggregate("programme", str(programme_id))


@blp.route("/<uuid:programme_id>/events")
class ProgrammeEvents(MethodView):
    @blp.arguments(LogPageArgs(), location="query")
    @blp.response(200, EventPageSchema)
    def get(self, args: dict[str, int], programme_id: Any) -> dict[str, Any]:
        """Events of one programme's stream, oldest first (?after=version). They name who
        acted, so a token is needed even in public read mode."""
        return streams.aggregate_events("programme", str(programme_id), args)


@blp.route("/<uuid:programme_id>/initiatives")
class ProgrammeInitiatives(MethodView):
    @blp.response(200, InitiativeOut(many=True))
    def get(self, programme_id: Any) -> list[dict[str, Any]]:
        """Initiatives of a programme, in launch order."""
        return streams.children("initiative", str(programme_id))

    @blp.arguments(InitiativeIn())
    @blp.response(201, InitiativeOut)
    def post(self, body: dict[str, Any], programme_id: Any) -> tuple[Any, int, dict]:
        """Launch an initiative in the programme (overseer or admin)."""
        token = require(policy.INITIATIVE_LAUNCH)
        outcome = services().tracker.launch_initiative(
            token, str(programme_id), idempotency(token), correlation_id(), **body
        )
        return created(outcome, f"/initiatives/{outcome.loaded.state.initiative_id}")
