"""Dashboards as server-rendered HTML pages for people: programme overview, initiative
milestone table, milestone timeline, agency scorecard.

Readers sign in by pasting a token into /ui/login; it is kept in an HttpOnly, SameSite
cookie and checked against the token registry on every page, so revoking a token takes
effect at once. A token never travels in a URL. With public read mode on, no sign-in: a
visitor without a token sees the public portal (service/access/disclosure.py says what it
withholds), and staff may still sign in to see everything and to act.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from service.access.disclosure import public_event
from service.access.policy import TokenRecord
from service.api.auth import PUBLIC, services
from service.api.page_messages import refusal
from service.dashboards import charts
from service.dashboards.domain.dashboards import milestone_row
from service.dashboards.queries import DashboardQueries
from service.dashboards.summary_memo import SummaryMemo
from service.ledger.domain.errors import DomainError

blp = Blueprint("pages", __name__, url_prefix="/ui")
COOKIE = "rt_viewer"
COOKIE_SECONDS = 8 * 3600
SAFE_NEXT = re.compile(r"^/ui/[\w/\-.%]*$")


def viewer() -> TokenRecord | None:
    """The signed-in reader, PUBLIC for anyone else in public read mode, or None; looked
    up once per request."""
    if "viewer" not in g:
        raw = request.cookies.get(COOKIE)
        token = services().tokens.authenticate(raw) if raw else None
        g.viewer = PUBLIC if token is None and services().config.public_read else token
    found: TokenRecord | None = g.viewer
    return found


def is_public() -> bool:
    return viewer() is PUBLIC


def error_page(message: str, status: int) -> tuple[str, int]:
    return render_template("error.html", message=message, viewer=viewer()), status


def actors() -> dict[str, TokenRecord]:
    """Token records by id, to name the people in a timeline (never for the public)."""
    return {} if is_public() else {t.id: t for t in services().tokens.list()}


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def page(*args: Any, **kwargs: Any) -> Any:
        if viewer() is None:
            return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return page


def _as_of() -> date | None:
    raw = request.args.get("as_of", "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        abort(Response(*error_page(_("as_of must be a date like 2026-11-25"), 422)))


# Page bodies this process has rendered (their title and HTML), by the dashboard's ETag
# (its path and query, day, public or staff view, log head and read-model position), the
# template and the language: a page whose data has not moved costs two round trips to
# Redis and the frame around its body. Bounded in entries, as the JSON answers are.
_bodies = SummaryMemo(entries=64)


def _render(
    template: str,
    compute: Callable[[DashboardQueries, date | None], Any],
    more: Callable[[DashboardQueries, Any], dict[str, Any]] | None = None,
    title: Callable[[Any], str] = lambda found: str(found["title"]),
    per_request: dict[str, Any] | None = None,
    **alert_scope: str,
) -> Any:
    """``template`` (say "programme") is the frame, ``<template>_body.html`` what the
    data shows. ``more(queries, found)``: further variables of the body (the page's
    charts, names), for the same day as its data; ``per_request``: variables of the
    frame, which change without the data (the overview's latest checkpoint)."""
    queries = DashboardQueries(services(), public=is_public())
    as_of = _as_of()
    tag = queries.etag(request.full_path, as_of)
    key = (services().keys.prefix, template, str(get_locale()), request.script_root, tag)
    page = _bodies.get(key)
    if page is None:
        try:
            found = compute(queries, as_of)
            extra = more(queries, found) if more else {}
        except DomainError as error:
            return error_page(refusal(error), 404 if error.code == "not_found" else 422)
        body = render_template(f"{template}_body.html", data=found, as_of=as_of, **extra)
        page = (title(found), Markup(body))
        _bodies.put(key, page)
    # Alerts are shown for now only: an as-of page shows the record as it was.
    alerts = services().alerts.open_alerts(**alert_scope) if alert_scope and as_of is None else []
    return render_template(
        f"{template}.html",
        title=page[0],
        body=page[1],
        as_of=as_of,
        viewer=viewer(),
        alerts=alerts,
        **(per_request or {}),
    )


@blp.get("/")
@signed_in
def overview() -> Any:
    # The latest signed checkpoint: what anyone can hold the log to (docs/audit.md).
    latest = services().store.checkpoints.latest()
    return _render(
        "overview",
        lambda q, as_of: q.overview(as_of),
        title=lambda found: _("Programmes"),
        per_request={"checkpoint": latest},
    )


@blp.get("/programmes/<uuid:programme_id>")
@signed_in
def programme(programme_id: Any) -> Any:
    return _render(
        "programme",
        lambda q, as_of: q.programme(str(programme_id), as_of),
        lambda q, found: {"charts": {"trend": charts.programme_trend(q, found)}},
        programme_id=str(programme_id),
    )


@blp.get("/initiatives/<uuid:initiative_id>")
@signed_in
def initiative(initiative_id: Any) -> Any:
    return _render(
        "initiative",
        lambda q, as_of: q.initiative(str(initiative_id), as_of),
        lambda q, found: {
            "names": q.titles(found["programme_id"]),
            "charts": {"timeline": charts.initiative_timeline(found)},
        },
        initiative_id=str(initiative_id),
    )


@blp.get("/agencies/")
@signed_in
def agencies() -> Any:
    found = DashboardQueries(services(), public=is_public()).agencies()
    return render_template("agencies.html", agencies=found, viewer=viewer())


@blp.get("/agencies/<string:agency>")
@signed_in
def scorecard(agency: str) -> Any:
    return _render(
        "scorecard",
        lambda q, as_of: q.scorecard(agency, as_of),
        lambda q, found: {
            "charts": {
                "trend": charts.agency_trend(q, found),
                "on_time": charts.agency_on_time(found),
            }
        },
        title=lambda found: str(found["agency"]),
    )


@blp.get("/milestones/<uuid:milestone_id>")
@signed_in
def milestone(milestone_id: Any) -> Any:
    s, stream = services(), f"milestone-{milestone_id}"
    events = s.store.read_stream(stream)
    if not events:
        return error_page(_("No such milestone."), 404)
    public = is_public()
    queries = DashboardQueries(s, public=public)
    record = queries.milestone_record(str(milestone_id))
    row = milestone_row(record, s.clock.today(), queries.rules) if record else None
    planned = events[0].payload
    timeline = [
        (event, payload)
        for event in events
        if (payload := public_event(event.type, event.payload) if public else event.payload)
        is not None
    ]
    return render_template(
        "milestone.html",
        row=row,
        timeline=timeline,
        planned=planned,
        title=planned.get("title", ""),
        viewer=viewer(),
        actors=actors(),
        names=queries.titles(None, planned.get("initiative_id")),
        alerts=services().alerts.open_alerts(milestone_id=str(milestone_id)),
    )


@blp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    target = request.values.get("next", "")
    target = target if SAFE_NEXT.match(target) else url_for("pages.overview")
    if request.method == "GET":
        return render_template("login.html", next=target, error=None)
    _same_origin()
    token = request.form.get("token", "").strip()
    if not token or services().tokens.authenticate(token) is None:
        return render_template("login.html", next=target, error=_("Unknown token.")), 401
    return remember(redirect(target), COOKIE, token, COOKIE_SECONDS)


def remember(response: BaseResponse, cookie: str, value: str, seconds: int) -> BaseResponse:
    """``response`` setting a cookie of the pages: for /ui only, never read by scripts,
    not sent by other sites' posts, over HTTPS only when the page came over HTTPS."""
    response.set_cookie(
        cookie,
        value,
        max_age=seconds,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path="/ui",
    )
    return response


@blp.post("/logout")
def logout() -> Any:
    require_csrf()
    response = redirect(url_for("pages.login"))
    response.delete_cookie(COOKIE, path="/ui")
    return response


@blp.get("/<path:unknown>")
def not_found(unknown: str) -> Any:
    """Unknown /ui/ addresses get a page a person can read, not problem+json."""
    return error_page(_("There is no page at this address."), 404)


def _same_origin() -> None:
    """Refuse cross-site form posts (a page elsewhere signing someone in or out)."""
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        abort(403)


@blp.app_template_global("csrf_token")
def csrf_token() -> str:
    """The hidden form field that a signed-in page form must send back.

    It is derived from the reader's own sign-in cookie, which a page on another site can
    neither read (HttpOnly) nor compute, so a forged form post cannot carry it; no server
    secret or stored state is needed, and it changes when the reader signs in again.
    """
    raw = request.cookies.get(COOKIE, "")
    key = hashlib.sha256(raw.encode()).digest()
    return hmac.new(key, b"reform-tracker page form", hashlib.sha256).hexdigest()


def require_csrf() -> None:
    """Refuse a page form post without the reader's CSRF field (403, nothing changes)."""
    _same_origin()
    sent = request.form.get("csrf_token", "")
    if not request.cookies.get(COOKIE) or not hmac.compare_digest(sent, csrf_token()):
        message = _(
            "This form has expired or came from another site; reload the page and send it again."
        )
        abort(Response(*error_page(message, 403)))


@blp.app_template_filter("web_link")
def web_link(uri: str) -> str | None:
    """Only http(s) evidence links become clickable; anything else is shown as text."""
    return uri if urlsplit(uri).scheme in ("http", "https") else None
