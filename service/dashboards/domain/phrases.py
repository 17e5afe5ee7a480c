"""Sentences the dashboards write for people (RAG reasons, chart descriptions), in
English, remembering how they were made so that a page can say them in its reader's
language.

A ``Phrase`` *is* its English text (a ``str``), so JSON, CSV and every comparison see
exactly what they saw before; it also keeps its template, a gettext msgid with
``%(name)s`` placeholders, and the values, which service/api/vocabulary.py translates.
A phrase that goes through a cache or a JSON round trip comes back as plain English,
which the pages then show as it is.
"""

from __future__ import annotations

from datetime import date
from typing import Any


class Phrase(str):
    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Phrase:
        made = super().__new__(cls, template % values if values else template)
        made.template = template
        made.values = values
        return made


class Month(str):
    """A month on a chart's axis: *is* its ISO text ("2026-11") for JSON and every
    comparison, and keeps its first day so that a page can name the month in its
    reader's language."""

    first: date

    def __new__(cls, day: date) -> Month:
        made = super().__new__(cls, day.strftime("%Y-%m"))
        made.first = date(day.year, day.month, 1)
        return made
