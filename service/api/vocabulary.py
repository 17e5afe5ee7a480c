"""The page filters that put words, dates and numbers in the page's language:

- ``term`` and ``humanize``: the service's own values (statuses, RAG colours, alert
  states, event types; service.runtime.languages lists them). The values themselves stay
  in English in the data and the API;
- ``say``: the dashboards' sentences (service/dashboards/domain/phrases.py);
- ``day``, ``day_month``, ``month``, ``number``, ``percent``: with Flask-Babel's formatters.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Any

from babel import Locale, dates, numbers
from flask_babel import get_locale, gettext

from service.dashboards.domain.phrases import Month, Phrase
from service.runtime.languages import DATE_FORMATS, EVENTS, TERMS


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


def say(text: Any) -> Any:
    """A dashboard sentence (or a chart's month) in the page's language; its dates and
    numbers too."""
    if isinstance(text, Month):
        return month(text.first)
    if not isinstance(text, Phrase):
        return text
    return gettext(text.template, **{name: _said(v) for name, v in text.values.items()})


def _said(value: Any) -> Any:
    if isinstance(value, Phrase):
        return say(value)
    if isinstance(value, date):
        return day(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value)
    return value


def day(value: date | str | None) -> str:
    """A calendar day (a date or an ISO date/timestamp string) in the page's language."""
    if value in (None, ""):
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return _day(str(get_locale()), value)


# A page says the same days and numbers many times (a timeline of a hundred milestones:
# over a thousand dates); each through Flask-Babel looks its locale up again.
@lru_cache(maxsize=8192)
def _day(locale: str, value: date) -> str:
    return str(dates.format_date(value, DATE_FORMATS[locale], locale=locale))


def day_month(value: date) -> str:
    """A short day and month, for a chart's axis."""
    chosen = str(get_locale())
    if chosen == "en":
        return value.strftime("%m-%d")
    return str(dates.format_skeleton("MMMd", value, locale=chosen))


def month(value: date) -> str:
    """A month and year, for a chart's axis; ISO 8601 ("2026-11") in English, as its
    dates."""
    chosen = str(get_locale())
    if chosen == "en":
        return value.strftime("%Y-%m")
    return str(dates.format_skeleton("yMMM", value, locale=chosen))


def number(value: float | None) -> str:
    return "–" if value is None else _number(str(get_locale()), value)


@lru_cache(maxsize=8192)
def _number(locale: str, value: float) -> str:
    return str(numbers.format_decimal(value, locale=locale))


def percent(value: float | None) -> str:
    """A percentage given as 0..100, with at most one decimal, in the page's way."""
    return "–" if value is None else _percent(str(get_locale()), value)


@lru_cache(maxsize=8192)
def _percent(locale: str, value: float) -> str:
    pattern = Locale.parse(locale).percent_formats[None].pattern
    return str(
        numbers.format_percent(value / 100, pattern.replace("#,##0", "#,##0.#", 1), locale=locale)
    )


FILTERS = {
    "term": term,
    "humanize": humanize,
    "say": say,
    "day": day,
    "day_month": day_month,
    "month": month,
    "number": number,
    "percent": percent,
}
