"""The bulk-report page: a signed-in reporter uploads a report, reads the per-row check
(nothing is appended yet), and confirms.

The upload is kept, for its uploader only, under its SHA-256 until it is confirmed
(``Importer.hold``), so the confirmation appends exactly the file that was checked. The
confirmation's Idempotency-Key is that digest: a second click, or a reload of the answer,
appends nothing again and shows the first outcome.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from service.access.policy import TokenRecord
from service.api.auth import services
from service.api.dashboard_pages import COOKIE, require_csrf
from service.api.http import correlation_id
from service.api.imports import EXTENSIONS, appended, checked, template_file
from service.api.page_messages import row_problem
from service.ledger.eventstore import Idempotency
from service.tracking import spreadsheets
from service.tracking.imports import ReportRefused

blp = Blueprint("reports", __name__, url_prefix="/ui/reports")
DIGEST = re.compile(r"^[0-9a-f]{64}$")


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """The view with the signed-in reader's token (a page that appends needs one, even in
    public read mode); without one, the sign-in form. A form post must also carry the
    reader's CSRF field."""

    @wraps(view)
    def page() -> Any:
        if request.method == "POST":
            require_csrf()
        raw = request.cookies.get(COOKIE)
        token = services().tokens.authenticate(raw) if raw else None
        if token is None:
            return redirect(url_for("pages.login", next=url_for("reports.upload")))
        return view(token)

    return page


def _page(token: TokenRecord, status: int = 200, **context: Any) -> tuple[str, int]:
    # Each refused row's problem in the page's language (the API keeps the English).
    context["errors"] = [replace(e, problem=row_problem(e)) for e in context.get("errors", [])]
    return render_template("report.html", viewer=token, **context), status


@blp.get("/")
@signed_in
def upload(token: TokenRecord) -> Any:
    return _page(token)


@blp.post("/check")
@signed_in
def preview(token: TokenRecord) -> Any:
    """Check the uploaded report and show each row as it would be appended."""
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return _page(token, 422, problem=_("Choose a report file to upload."))
    media_type = EXTENSIONS.get("." + sent.filename.rsplit(".", 1)[-1].lower())
    if media_type is None:
        return _page(token, 415, problem=_("The report must be an .xlsx, .csv or .json file."))
    data = sent.read()
    try:
        table = spreadsheets.read(data, media_type, services().config.import_max_rows)
        result = checked(services().imports.check(token, table))
    except spreadsheets.TooManyRows as error:
        return _page(token, 413, problem=_("The report was not checked: %(error)s.", error=error))
    except spreadsheets.Unreadable as error:
        return _page(token, 422, problem=_("The report cannot be read: %(error)s.", error=error))
    except ReportRefused as refused:
        status = 403 if refused.forbidden else 422
        return _page(token, status, filename=sent.filename, errors=refused.errors)
    digest = services().imports.hold(token, data, media_type)
    return _page(token, filename=sent.filename, checked=result, digest=digest)


@blp.post("/confirm")
@signed_in
def confirm(token: TokenRecord) -> Any:
    """Append the report checked before; a second confirmation appends nothing."""
    digest = request.form.get("digest", "")
    held = services().imports.held(token, digest) if DIGEST.match(digest) else None
    if held is None:
        return _page(token, 410, problem=_("This upload is no longer kept; upload it again."))
    data, media_type = held
    try:
        table = spreadsheets.read(data, media_type, services().config.import_max_rows)
        outcome = services().imports.apply(
            token,
            table,
            idempotency=Idempotency(token.id, f"report-page:{digest}", digest),
            correlation_id=correlation_id(),
        )
    except ReportRefused as refused:
        status = 403 if refused.forbidden else 409 if refused.conflict else 422
        return _page(token, status, errors=refused.errors, refused_at_confirm=True)
    if not outcome.replayed:
        services().appended()
    return _page(token, done=appended(outcome), replayed=outcome.replayed)


@blp.get("/template.xlsx")
@signed_in
def template(token: TokenRecord) -> Response | Any:
    """The signed-in reporter's agency template (``?agency=`` for other roles)."""
    agency = token.agency or request.args.get("agency", "").strip()
    if not agency:
        return _page(token, 422, problem=_("Name the agency whose template you want."))
    return template_file(agency)
