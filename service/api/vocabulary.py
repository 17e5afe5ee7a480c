"""The ``term`` and ``humanize`` page filters: the service's own values (statuses,
RAG colours, alert states, event types; service.runtime.languages lists them) named in
the page's language. The values themselves stay in English in the data and the API.
"""

from __future__ import annotations

import re

from flask_babel import gettext

from service.runtime.languages import EVENTS, TERMS


def term(value: str | None) -> str:
    """A value's name in the page's language; an unknown value with its underscores
    turned into spaces."""
    if value is None:
        return ""
    known = TERMS.get(value)
    return gettext(known) if known else value.replace("_", " ")


def humanize(event_type: str) -> str:
    """ "MilestoneReportedComplete" -> "Milestone reported complete", translated."""
    known = EVENTS.get(event_type)
    if known:
        return gettext(known)
    words = re.findall(r"[A-Z][a-z]*", event_type)
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else event_type
