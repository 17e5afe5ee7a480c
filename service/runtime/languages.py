"""The languages of the pages and of alert e-mails: Kazakh, Russian and English.

The gettext catalogues are kept in the repository as text, one ``messages.po`` per
language under ``service/translations/<language>/LC_MESSAGES/`` (``messages.pot`` is the
template they are updated from; docs/languages.md has the commands). They are compiled
with Babel's own compiler (``read_po`` then ``write_mo``) in memory, the first time a
language is used in a process, rather than by a build step: setuptools' editable
installs (``pip install -e .``) run no build hook that could write a .mo file next to the
sources, so a build-time .mo would exist in the wheel and not in a checkout. Compiling in
memory needs no writable folder either, costs a few milliseconds once per language, and
leaves no build output in the tree. A catalogue that cannot be read fails loudly at first
use; the tests compile all three.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import dates, numbers, support
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("kk", "ru", "en")
DEFAULT = "en"
# Each language named in itself, for the switcher.
NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
CATALOGUES = Path(__file__).resolve().parent.parent / "translations"
# English keeps ISO 8601 dates (unambiguous for every reader of English); Kazakh and
# Russian use their own medium form ("25 нояб. 2026 г.", "2026 ж. 25 қар.").
DATE_FORMATS = {"kk": "medium", "ru": "medium", "en": "yyyy-MM-dd"}


# The words for the service's own values, on pages and in e-mails: milestone statuses, RAG
# colours, alert states, levels, conditions and severities, roles, and event types.
# ``N_`` marks them for extraction (babel.cfg) without translating at import time.
def N_(text: str) -> str:
    return text


TERMS = {
    # Milestone statuses
    "planned": N_("planned"),
    "in_progress": N_("in progress"),
    "blocked": N_("blocked"),
    "reported_complete": N_("reported complete"),
    "verified": N_("verified"),
    "disputed": N_("disputed"),
    "cancelled": N_("cancelled"),
    # RAG colours
    "red": N_("red"),
    "amber": N_("amber"),
    "green": N_("green"),
    # Alert conditions, severities, states and escalation levels
    "overdue": N_("overdue"),
    "due_soon": N_("due soon"),
    "low": N_("low"),
    "medium": N_("medium"),
    "high": N_("high"),
    "open": N_("open"),
    "acknowledged": N_("acknowledged"),
    "resolved": N_("resolved"),
    "owner_agency": N_("owner agency"),
    "initiative_lead": N_("initiative lead"),
    "oversight": N_("oversight"),
    # Sort orders of the alerts page
    "newest": N_("newest"),
    "most_overdue": N_("most overdue"),
    "least_overdue": N_("least overdue"),
    # Roles
    "viewer": N_("viewer"),
    "reporter": N_("reporter"),
    "overseer": N_("overseer"),
    "admin": N_("admin"),
    "system": N_("system"),
    # Fields of the events shown in a milestone's timeline
    "captured_at": N_("captured at"),
    "description": N_("description"),
    "due_date": N_("due date"),
    "lead": N_("lead"),
    "lead_agency": N_("lead agency"),
    "media_type": N_("media type"),
    "new_due_date": N_("new due date"),
    "note": N_("note"),
    "percent": N_("percent"),
    "planned_start": N_("planned start"),
    "previous_due_date": N_("previous due date"),
    "reason": N_("reason"),
    "slip_days": N_("slip days"),
    "text": N_("text"),
    "title": N_("title"),
    "uri": N_("address"),
    # Delivery channels and statuses
    "webhook": N_("webhook"),
    "email": N_("email"),
    "pending": N_("pending"),
    "delivered": N_("delivered"),
    "failed": N_("failed"),
    "retry": N_("retry"),
}

EVENTS = {
    "ProgrammeCreated": N_("Programme created"),
    "InitiativeLaunched": N_("Initiative launched"),
    "MilestonePlanned": N_("Milestone planned"),
    "MilestoneStarted": N_("Milestone started"),
    "ProgressReported": N_("Progress reported"),
    "MilestoneRescheduled": N_("Milestone rescheduled"),
    "MilestoneBlocked": N_("Milestone blocked"),
    "MilestoneUnblocked": N_("Milestone unblocked"),
    "EvidenceAttached": N_("Evidence attached"),
    "MilestoneReportedComplete": N_("Milestone reported complete"),
    "CompletionVerified": N_("Completion verified"),
    "CompletionDisputed": N_("Completion disputed"),
    "MilestoneCancelled": N_("Milestone cancelled"),
    "CommentAdded": N_("Comment added"),
    "AlertRaised": N_("Alert raised"),
    "AlertEscalated": N_("Alert escalated"),
    "AlertRenotified": N_("Alert renotified"),
    "AlertAcknowledged": N_("Alert acknowledged"),
    "AlertResolved": N_("Alert resolved"),
}


def catalogue_path(language: str) -> Path:
    return CATALOGUES / language / "LC_MESSAGES" / "messages.po"


@cache
def translations(language: str) -> support.Translations:
    """The compiled catalogue of ``language`` (one of LANGUAGES)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    with catalogue_path(language).open("rb") as source:
        catalogue = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return support.Translations(compiled, domain="messages")


def term(value: str, language: str) -> str:
    """A value's name in ``language``; an unknown value with its underscores as spaces."""
    known = TERMS.get(value)
    return translations(language).gettext(known) if known else value.replace("_", " ")


def format_day(day: date | str, language: str) -> str:
    """A calendar day as the language writes it; an ISO date string is read first."""
    value = date.fromisoformat(day[:10]) if isinstance(day, str) else day
    return dates.format_date(value, DATE_FORMATS[language], locale=language)


def format_number(value: float, language: str) -> str:
    return numbers.format_decimal(value, locale=language)
