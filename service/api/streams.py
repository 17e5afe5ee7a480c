"""Reading an aggregate and its events: shared by programmes, initiatives and milestones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from service.access.disclosure import public_document
from service.access.policy import TokenRecord
from service.api.auth import PUBLIC, log_reader, reader, services
from service.api.http import represent, versioned
from service.ledger.domain.chain import RecordedEvent


def page(events: list[RecordedEvent], limit: int, cursor_of: str) -> dict[str, Any]:
    """A cursor page: next_cursor is the last item's position/version, or None at the end."""
    more = len(events) > limit
    events = events[:limit]
    cursor = str(getattr(events[-1], cursor_of)) if more and events else None
    return {"events": [event.to_dict() for event in events], "next_cursor": cursor}


# Fields computed from an aggregate's state at read time (e.g. a milestone's overdue flags).
Derive = Callable[[Any], dict[str, Any]]


def disclosed(body: dict[str, Any], reading_as: TokenRecord) -> dict[str, Any]:
    """``body`` as the caller may see it: without internal fields for the public."""
    return public_document(body) if reading_as is PUBLIC else body


def aggregate(kind: str, aggregate_id: str, derive: Derive | None = None) -> tuple[Any, int, dict]:
    reading_as = reader()  # first: no 404 for a caller who may not read
    loaded = services().tracker.load(kind, aggregate_id)
    return versioned(disclosed(represent(loaded, derive), reading_as), loaded.version)


def aggregate_events(kind: str, aggregate_id: str, args: dict[str, int]) -> dict[str, Any]:
    log_reader()
    tracker = services().tracker
    loaded = tracker.load(kind, aggregate_id)
    events = tracker.store.read_stream(loaded.stream, args["after"], args["limit"] + 1)
    return page(events, args["limit"], "version")


def children(
    kind: str, parent_id: str | None, derive: Derive | None = None
) -> list[dict[str, Any]]:
    reading_as = reader()
    return [
        disclosed(represent(loaded, derive), reading_as)
        for loaded in services().tracker.children(kind, parent_id)
    ]
