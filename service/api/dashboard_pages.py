"""Dashboards as server-rendered HTML pages for people: programme overview, initiative
milestone table, milestone timeline, agency scorecard.

Readers sign in by pasting a token into /ui/login; it is kept in an HttpOnly, SameSite
cookie and checked against the token registry on every page, so revoking a token takes
effect at once. A token never travels in a URL. With public read mode on, no sign-in.
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

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from service.access.policy import TokenRecord
from service.api.auth import PUBLIC, services
from service.dashboards import charts
from service.dashboards.domain.dashboards import milestone_row
from service.dashboards.queries import DashboardQueries
from service.ledger.domain.errors import DomainError

blp = Blueprint("pages", __name__, url_prefix="/ui")
COOKIE = "rt_viewer"
COOKIE_SECONDS = 8 * 3600
SAFE_NEXT = re.compile(r"^/ui/[\w/\-.%]*$")


def viewer() -> TokenRecord | None:
    if services().config.public_read:
        return PUBLIC
    raw = request.cookies.get(COOKIE)
    return services().tokens.authenticate(raw) if raw else None


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
        abort(
            Response(
                render_template("error.html", message="as_of must be a date like 2026-11-25"),
                status=422,
            )
        )


def _render(
    template: str,
    compute: Callable[[DashboardQueries, date | None], Any],
    draw: Callable[[DashboardQueries, Any], dict[str, Any]] = lambda _q, _found: {},
    **alert_scope: str,
) -> Any:
    """``draw(queries, found)``: the page's charts, by name, for the same day as its data."""
    queries = DashboardQueries(services())
    as_of = _as_of()
    try:
        found = compute(queries, as_of)
        drawn = draw(queries, found)
    except DomainError as error:
        status = 404 if error.code == "not_found" else 422
        return render_template("error.html", message=error.message), status
    # Alerts are shown for now only: an as-of page shows the record as it was.
    alerts = services().alerts.open_alerts(**alert_scope) if alert_scope and as_of is None else []
    return render_template(
        template, data=found, as_of=as_of, viewer=viewer(), alerts=alerts, charts=drawn
    )


@blp.get("/")
@signed_in
def overview() -> Any:
    return _render("overview.html", lambda q, as_of: q.overview(as_of))


@blp.get("/programmes/<uuid:programme_id>")
@signed_in
def programme(programme_id: Any) -> Any:
    return _render(
        "programme.html",
        lambda q, as_of: q.programme(str(programme_id), as_of),
        lambda q, found: {"trend": charts.programme_trend(q, found)},
        programme_id=str(programme_id),
    )


@blp.get("/initiatives/<uuid:initiative_id>")
@signed_in
def initiative(initiative_id: Any) -> Any:
    return _render(
        "initiative.html",
        lambda q, as_of: q.initiative(str(initiative_id), as_of),
        lambda _q, found: {"timeline": charts.initiative_timeline(found)},
        initiative_id=str(initiative_id),
    )


@blp.get("/agencies/<string:agency>")
@signed_in
def scorecard(agency: str) -> Any:
    return _render(
        "scorecard.html",
        lambda q, as_of: q.scorecard(agency, as_of),
        lambda q, found: {
            "trend": charts.agency_trend(q, found),
            "on_time": charts.agency_on_time(found),
        },
    )


@blp.get("/milestones/<uuid:milestone_id>")
@signed_in
def milestone(milestone_id: Any) -> Any:
    s, stream = services(), f"milestone-{milestone_id}"
    events = s.store.read_stream(stream)
    if not events:
        return render_template("error.html", message="No such milestone."), 404
    queries = DashboardQueries(s)
    record = queries.milestone_record(str(milestone_id))
    row = milestone_row(record, s.clock.today(), queries.rules) if record else None
    return render_template(
        "milestone.html",
        row=row,
        events=events,
        title=events[0].payload.get("title", ""),
        viewer=viewer(),
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
        return render_template("login.html", next=target, error="Unknown token."), 401
    response = redirect(target)
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_SECONDS,
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
        abort(
            Response(
                render_template(
                    "error.html",
                    message="This form has expired or came from another site; "
                    "reload the page and send it again.",
                ),
                status=403,
            )
        )


@blp.app_template_filter("humanize")
def humanize(event_type: str) -> str:
    """ "MilestoneReportedComplete" -> "Milestone reported complete"."""
    words = re.findall(r"[A-Z][a-z]*", event_type)
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else event_type


@blp.app_template_filter("web_link")
def web_link(uri: str) -> str | None:
    """Only http(s) evidence links become clickable; anything else is shown as text."""
    return uri if urlsplit(uri).scheme in ("http", "https") else None
