"""The alerts pages for people: open alerts with filters, one alert's history and
deliveries, and acknowledgement from the page.

Acknowledging goes through the alert desk (service/alerts/service.py), exactly as
POST /alerts/{id}/acknowledge does, so the page has the API's rules and refusals: a
required note of at most 2,000 characters, only an open alert, only an overseer or a
reporter of the owner agency. A refusal re-renders the page with the same status the API
would answer, and appends nothing. The form carries the page CSRF field.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from service.access.policy import Forbidden
from service.alerts.domain.alerts import LEVELS, MAX_NOTE, RESOLVED, STATES
from service.api.auth import services
from service.api.dashboard_pages import (
    actors,
    error_page,
    is_public,
    require_csrf,
    signed_in,
    viewer,
)
from service.api.page_messages import forbidden, refusal
from service.dashboards.queries import DashboardQueries
from service.ledger.domain.errors import DomainError, NotFound
from service.ledger.eventstore import VersionConflict

blp = Blueprint("alert_pages", __name__, url_prefix="/ui/alerts")
ACTIVE_STATES = tuple(state for state in STATES if state != RESOLVED)
SORTS = {
    "newest": (lambda a: a["raised_at"], True),
    "most_overdue": (lambda a: (a["days_overdue"], a["raised_at"]), True),
    "least_overdue": (lambda a: (a["days_overdue"], a["raised_at"]), False),
}


def _filters() -> dict[str, str]:
    """The page's filters as alert fields; an unknown value is refused (422), as the API's."""
    chosen = {
        "state": request.args.get("state", ""),
        "level": request.args.get("level", ""),
        "owner_agency": request.args.get("agency", "").strip(),
        "programme_id": request.args.get("programme", ""),
    }
    if chosen["state"] not in ("", *ACTIVE_STATES):
        message = _("state must be one of %(values)s", values=", ".join(ACTIVE_STATES))
        raise DomainError("invalid", message, "state")
    if chosen["level"] not in ("", *LEVELS):
        raise DomainError(
            "invalid", _("level must be one of %(values)s", values=", ".join(LEVELS)), "level"
        )
    return {field: value for field, value in chosen.items() if value}


@blp.get("")
@signed_in
def alerts() -> Any:
    sort = request.args.get("sort", "most_overdue")
    try:
        filters = _filters()
        if sort not in SORTS:
            message = _("sort must be one of %(values)s", values=", ".join(SORTS))
            raise DomainError("invalid", message, "sort")
    except DomainError as error:
        return error_page(error.message, 422)
    key, newest_first = SORTS[sort]
    found = sorted(services().alerts.open_alerts(**filters), key=key, reverse=newest_first)
    queries = DashboardQueries(services(), public=is_public())
    return render_template(
        "alerts.html",
        alerts=found,
        chosen={**request.args},
        sort=sort,
        sorts=list(SORTS),
        states=ACTIVE_STATES,
        levels=LEVELS,
        agencies=queries.agency_names(),
        programmes=queries.programme_titles(),
        viewer=viewer(),
    )


@blp.get("/<uuid:alert_id>")
@signed_in
def alert(alert_id: Any) -> Any:
    return _alert_page(str(alert_id))


@blp.post("/<uuid:alert_id>/acknowledge")
def acknowledge(alert_id: Any) -> Any:
    require_csrf()
    token = viewer()
    if token is None or is_public():
        return redirect(url_for("pages.login", next=url_for(".alert", alert_id=alert_id)))
    note = request.form.get("note", "")
    try:
        services().alerts.acknowledge(token, str(alert_id), note)
    except NotFound as error:
        return error_page(refusal(error), 404)
    except Forbidden as error:
        return _alert_page(str(alert_id), forbidden(error), note, 403)
    except DomainError as error:
        return _alert_page(str(alert_id), refusal(error), note, 422 if error.field else 409)
    except VersionConflict:
        message = _("The alert changed while the acknowledgement was being decided; try again.")
        return _alert_page(str(alert_id), message, note, 409)
    return redirect(url_for(".alert", alert_id=alert_id), code=303)


def _alert_page(alert_id: str, error: str | None = None, note: str = "", status: int = 200) -> Any:
    desk = services().alerts
    try:
        found = desk.alert(alert_id)
    except NotFound:
        return error_page(_("No such alert."), 404)
    public = is_public()
    return (
        render_template(
            "alert.html",
            alert=found,
            history=desk.history(alert_id),
            deliveries=[] if public else desk.alert_deliveries(alert_id),
            actors=actors(),
            error=error,
            note=note,
            max_note=MAX_NOTE,
            viewer=viewer(),
        ),
        status,
    )
