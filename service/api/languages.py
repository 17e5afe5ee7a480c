"""The page language: chosen by the switcher in every page's header, remembered in a
cookie, else taken from Accept-Language, else the default (English).

Flask-Babel does the rest: ``_()`` in templates and views, and the date and number
filters below. Its catalogues come compiled from service.api.dashboard_pages import error_page
from service.runtime.languages, which says
why they are compiled in memory. API JSON and problem+json stay in English: they are
read by programs.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlsplit

from babel import Locale, dates, support
from flask import Blueprint, Flask, redirect, request, url_for
from flask_babel import (
    Babel,
    Domain,
    format_date,
    format_decimal,
    format_percent,
    get_locale,
)
from flask_babel import (
    gettext as _,
)

from service.api.dashboard_pages import error_page
from service.runtime.languages import DATE_FORMATS, DEFAULT, LANGUAGES, NAMES, translations

blp = Blueprint("languages", __name__, url_prefix="/ui")
COOKIE = "rt_language"
COOKIE_SECONDS = 365 * 24 * 3600


class CompiledCatalogues(Domain):  # type: ignore[misc]
    """Flask-Babel's message domain, reading the catalogues compiled in memory."""

    def get_translations(self) -> support.Translations:
        return translations(language())


def language() -> str:
    """The language of this request's page."""
    chosen = request.cookies.get(COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    # By primary subtag, in the browser's order of preference: "kk-KZ" is Kazakh.
    for tag, _quality in request.accept_languages:
        primary = tag.split("-")[0].split("_")[0].lower()
        if primary in LANGUAGES:
            return primary
    return DEFAULT


def install(app: Flask) -> None:
    babel = Babel(app, locale_selector=language)
    babel.domain_instance = CompiledCatalogues()
    app.register_blueprint(blp)
    app.jinja_env.filters.update(day=day, day_month=day_month, number=number, percent=percent)
    app.context_processor(lambda: {"languages": NAMES, "language": str(get_locale())})


def day(value: date | str | None) -> str:
    """A calendar day (a date or an ISO date/timestamp string) in the page's language."""
    if value in (None, ""):
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return str(format_date(value, DATE_FORMATS[str(get_locale())]))


def day_month(value: date) -> str:
    """A short day and month, for a chart's axis."""
    chosen = str(get_locale())
    if chosen == "en":
        return value.strftime("%m-%d")
    return str(dates.format_skeleton("MMMd", value, locale=chosen))


def number(value: float | None) -> str:
    return "–" if value is None else str(format_decimal(value))


def percent(value: float | None) -> str:
    """A percentage given as 0..100, with at most one decimal, in the page's way."""
    if value is None:
        return "–"
    pattern = Locale.parse(str(get_locale())).percent_formats[None].pattern
    return str(format_percent(value / 100, pattern.replace("#,##0", "#,##0.#", 1)))


@blp.get("/language/<string:chosen>")
def choose(chosen: str) -> Any:
    """Remember the chosen language and go back to the page it was chosen on."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/ui/") or "\\" in target:
        target = url_for("pages.overview")
    if chosen not in LANGUAGES:
        return error_page(_("There is no page in this language."), 404)
    response = redirect(target, code=303)
    response.set_cookie(
        COOKIE,
        chosen,
        max_age=COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path="/ui",
    )
    return response
