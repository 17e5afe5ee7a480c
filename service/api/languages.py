"""The page language: chosen by the switcher in every page's header, remembered in a
cookie, else taken from Accept-Language, else the default (English).

Flask-Babel does the rest: ``_()`` in templates and views, and the filters of
service/api/vocabulary.py for words, dates and numbers. Its catalogues come compiled from
service.runtime.languages, which says why they are compiled in memory. API JSON and
problem+json stay in English: they are read by programs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from babel import support
from flask import Blueprint, Flask, g, redirect, request, url_for
from flask_babel import Babel, Domain, get_locale
from flask_babel import gettext as _

from service.api import vocabulary
from service.api.dashboard_pages import error_page, remember
from service.runtime.languages import DEFAULT, LANGUAGES, NAMES, translations

blp = Blueprint("languages", __name__, url_prefix="/ui")
COOKIE = "rt_language"
COOKIE_SECONDS = 365 * 24 * 3600


class CompiledCatalogues(Domain):  # type: ignore[misc]
    """Flask-Babel's message domain, reading the catalogues compiled in memory."""

    def get_translations(self) -> support.Translations:
        return translations(language())


def language() -> str:
    """The language of this request's page (chosen once: a page asks for every string
    it translates, over a thousand times for a long timeline)."""
    if "language" not in g:
        g.language = _chosen()
    return str(g.language)


def _chosen() -> str:
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
    app.jinja_env.filters.update(vocabulary.FILTERS)
    app.context_processor(lambda: {"languages": NAMES, "language": str(get_locale())})


@blp.get("/language/<string:chosen>")
def choose(chosen: str) -> Any:
    """Remember the chosen language and go back to the page it was chosen on."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/ui/") or "\\" in target:
        target = url_for("pages.overview")
    if chosen not in LANGUAGES:
        return error_page(_("There is no page in this language."), 404)
    return remember(redirect(target, code=303), COOKIE, chosen, COOKIE_SECONDS)
