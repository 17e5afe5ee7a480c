"""What the public portal may show: the rules, in one place, for the pages and the API.

With RT_PUBLIC_READ on, anyone may read the status of programmes, initiatives and
milestones. The record of who did what, and the oversight office's working notes, stay
with token holders (docs/public.md says why):

- actor identities (token ids, labels, roles, agencies of the people who acted);
- comments (CommentAdded), which are working notes between staff;
- dispute reasons: every dispute reason counts as internal, so the public sees that a
  completion is disputed and when, never the overseer's reasoning;
- verification notes, for the same reason;
- acknowledgement notes and who acknowledged an alert;
- alert deliveries (they name subscriptions).

Reasons an agency gives for changing a public promise (reschedule, block, unblock and
cancel reasons) and evidence (URI, SHA-256, description) stay public: they are the
account the public is owed. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

# Fields of read-model records, aggregates, alerts and events the public never sees.
INTERNAL_FIELDS = frozenset(
    {
        "actor",
        "verified_by",
        "dispute_reason",
        "acknowledged_by",
        "acknowledged_note",
    }
)
# Event types whose payload is internal as a whole, or whose named fields are.
INTERNAL_EVENTS = frozenset({"CommentAdded"})
INTERNAL_PAYLOAD = {
    "CompletionDisputed": frozenset({"reason"}),
    "CompletionVerified": frozenset({"note"}),
    "AlertAcknowledged": frozenset({"note"}),
}

R = TypeVar("R")


def public_record(record: R) -> R:
    """A dataclass record with every internal field emptied (None)."""
    assert is_dataclass(record) and not isinstance(record, type)
    hidden = {f.name: None for f in fields(record) if f.name in INTERNAL_FIELDS}
    return replace(record, **hidden) if hidden else record


def public_document(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON document (an aggregate, an alert) without its internal fields."""
    return {key: value for key, value in doc.items() if key not in INTERNAL_FIELDS}


def public_event(event_type: str, payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """The payload of an event as the public sees it, or None if the event is internal."""
    if event_type in INTERNAL_EVENTS:
        return None
    hidden = INTERNAL_PAYLOAD.get(event_type, frozenset())
    return {key: value for key, value in payload.items() if key not in hidden}
