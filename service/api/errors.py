"""Every error leaves as RFC 9457 problem+json, and a refused request changes nothing."""

from __future__ import annotations

import logging
from typing import Any

import flask_smorest
from flask import Flask, Response, g, json, request
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from schemas.common import ProblemSchema
from service.access.policy import Forbidden
from service.api import auth
from service.ledger.domain.errors import DomainError, NotFound
from service.ledger.durability import UnsafeRedis
from service.ledger.eventstore import (
    AppendNotReplicated,
    AppendNotSent,
    AppendOutcomeUnknown,
    IdempotencyMismatch,
    VersionConflict,
)
from service.runtime.connection import UNAVAILABLE
from service.runtime.secretbox import SecretsKeyError
from service.tracking.imports import ReportRefused
from service.tracking.spreadsheets import TooManyRows, Unreadable
from service.tracking.tracker import PreconditionFailed

PROBLEM_TYPE = "urn:reform-tracker:problem:"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Answers about a request's body, which an unauthenticated caller gets as 401 instead.
BODY_REFUSALS = {400, 408, 413, 415, 422}
log = logging.getLogger("reform_tracker.api")


def problem_details(
    status: int, title: str, detail: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """The members of every problem, with or without a request to answer (gunicorn's own
    refusals have none)."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code if code else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if code:
        body["code"] = code
    return body


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = problem_details(status, title, detail, code)
    body["instance"] = request.path
    body["request_id"] = g.get("request_id")
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def unauthenticated() -> Response:
    return problem(
        401,
        "Unauthorized",
        "A valid bearer token is required.",
        headers={"WWW-Authenticate": 'Bearer realm="reform-tracker"'},
    )


def authenticated_first(refusal: Response) -> Response:
    """A refusal of the body, unless the caller is not authenticated: 401 comes first, so
    a caller without a valid token learns nothing about what the endpoint accepts."""
    try:
        return refusal if auth.authenticated() else unauthenticated()
    except UNAVAILABLE:
        return refusal  # the body is refused anyway; nothing was written


class ProblemApi(flask_smorest.Api):
    """flask-smorest's Api, speaking problem+json instead of its own error format."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        # Document error responses with the media type they are really sent as.
        self.DEFAULT_RESPONSE_CONTENT_TYPE = "application/problem+json"
        try:
            super()._register_responses()  # type: ignore[misc]
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        status = error.code or 500
        refusal = self._problem(error, status)
        if g.get("api_body") and status in BODY_REFUSALS:
            return authenticated_first(refusal)
        return refusal

    def _problem(self, error: HTTPException, status: int) -> Response:
        data = getattr(error, "data", None) or {}
        if status == 422:
            errors = data.get("errors") or data.get("messages") or {}
            # webargs nests field errors under the location ("json", "query").
            if isinstance(errors, dict) and set(errors) <= {"json", "query", "headers"}:
                errors = {k: v for part in errors.values() for k, v in part.items()}
            return problem(
                422,
                "Invalid input",
                "The request has invalid or unknown fields.",
                "validation",
                errors=errors,
            )
        detail = data.get("message") or (error.description if status != 500 else None)
        headers = dict(data.get("headers") or {})
        if isinstance(error, RateLimitExceeded):
            # The whole window: waiting that long is always enough.
            headers["Retry-After"] = str(error.limit.limit.get_expiry())
        if status == 405 and error.get_response().headers.get("Allow"):
            headers["Allow"] = error.get_response().headers["Allow"]
        return problem(status, error.name, detail, headers=headers)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def not_found(error: NotFound) -> Response:
        return problem(404, "Not Found", error.message, "not-found")

    @app.errorhandler(DomainError)
    def refused(error: DomainError) -> Response:
        extra: dict[str, Any] = {"errors": {error.field: [error.message]}} if error.field else {}
        status = 422 if error.field else 409
        title = "Invalid input" if error.field else "Command refused"
        return problem(status, title, error.message, error.code.replace("_", "-"), **extra)

    @app.errorhandler(Forbidden)
    def forbidden(error: Forbidden) -> Response:
        return problem(403, "Forbidden", str(error), "forbidden")

    @app.errorhandler(PreconditionFailed)
    def precondition(error: PreconditionFailed) -> Response:
        return problem(
            412, "Precondition Failed", str(error), "version-mismatch", current_version=error.actual
        )

    @app.errorhandler(ReportRefused)
    def report_refused(error: ReportRefused) -> Response:
        rows = sorted({e.row for e in error.errors})
        listed = ", ".join(map(str, rows[:20])) + (", ..." if len(rows) > 20 else "")
        if error.forbidden:
            status, title, code = 403, "Forbidden", "report-forbidden"
            detail = f"The report names records this token may not report on (rows {listed})"
        elif error.conflict:
            status, title, code = 409, "Conflict", "report-conflict"
            detail = (
                f"Milestones changed while the report was appended; rows {listed} no longer hold"
            )
        else:
            status, title, code = 422, "Invalid report", "invalid-report"
            detail = f"The report has problems in rows {listed}"
        return problem(
            status,
            title,
            detail + "; nothing was appended.",
            code,
            errors=[e.as_dict() for e in error.errors],
        )

    @app.errorhandler(Unreadable)
    def unreadable(error: Unreadable) -> Response:
        return problem(
            422,
            "Invalid report",
            f"The report cannot be read: {error}; nothing was appended.",
            "unreadable-report",
            errors=[{"row": 0, "column": "", "problem": str(error)}],
        )

    @app.errorhandler(TooManyRows)
    def too_many_rows(error: TooManyRows) -> Response:
        return problem(
            413, "Content Too Large", f"{error}; nothing was appended.", "report-too-many-rows"
        )

    @app.errorhandler(VersionConflict)
    def conflict(error: VersionConflict) -> Response:
        return problem(
            409,
            "Conflict",
            "The record changed while the command was being decided; reload and retry.",
            "version-conflict",
        )

    @app.errorhandler(IdempotencyMismatch)
    def idempotency(error: IdempotencyMismatch) -> Response:
        return problem(422, "Idempotency-Key reused", str(error), "idempotency-key-reused")

    def store_unavailable(error: Exception) -> Response:
        log.warning("event store unavailable: %s", error)
        if request.method in SAFE_METHODS:
            detail = "The event store is unreachable. Retry later."
        else:
            detail = (
                "The event store became unreachable before the request completed. Retry "
                "later; a retry with the same Idempotency-Key is always safe."
            )
        return _unavailable(detail, "store-unavailable")

    for unavailable in UNAVAILABLE:
        app.register_error_handler(unavailable, store_unavailable)

    # Flask picks the handler of the most specific class: these two say more than the above.
    @app.errorhandler(AppendNotSent)
    def not_sent(error: AppendNotSent) -> Response:
        log.warning("event store unavailable: %s", error)
        return _unavailable(
            "The event store is unreachable; nothing was written. Retry later.",
            "store-unavailable",
        )

    @app.errorhandler(AppendOutcomeUnknown)
    def outcome_unknown(error: AppendOutcomeUnknown) -> Response:
        log.warning("append outcome unknown: %s", error)
        if request.headers.get("Idempotency-Key"):
            advice = (
                "Retrying with the same Idempotency-Key is safe: the change is recorded "
                "at most once and the retry returns its result."
            )
        else:
            advice = (
                "This request had no Idempotency-Key, so a plain retry may record it "
                "twice: look for it first. Retrying with the same Idempotency-Key is "
                "safe; send one with every write you may retry."
            )
        return _unavailable(
            "The event store did not confirm the write: it may or may not have been "
            "recorded. " + advice,
            "store-outcome-unknown",
        )

    @app.errorhandler(AppendNotReplicated)
    def not_replicated(error: AppendNotReplicated) -> Response:
        log.warning("append not confirmed by the replicas: %s", error)
        return _unavailable(
            "The change reached the primary but not enough replicas confirmed it in time, "
            "so it is not acknowledged: a failover now could lose it. Retry with the same "
            "Idempotency-Key: the retry returns this change once the replicas have it, and "
            "never records it twice.",
            "store-not-replicated",
        )

    @app.errorhandler(UnsafeRedis)
    def unsafe(error: UnsafeRedis) -> Response:
        # Raised before anything is sent (at start-up, or by the durability guard).
        log.error("refusing to write: %s", error)
        return problem(
            503,
            "Service Unavailable",
            "The event store is configured so that it could lose acknowledged events ("
            + "; ".join(error.problems)
            + "); nothing was written. Retry later.",
            "store-not-durable",
            headers={"Retry-After": "30"},
        )

    @app.errorhandler(SecretsKeyError)
    def no_secrets_key(error: SecretsKeyError) -> Response:
        # A deployment fault, not the caller's: say which setting to fix; nothing written.
        log.error("webhook secrets key unusable: %s", error)
        return problem(
            503,
            "Service Unavailable",
            f"Webhook secrets cannot be sealed or opened: {error}. Nothing was changed.",
            "secrets-key-unavailable",
        )


def _unavailable(detail: str, code: str) -> Response:
    return problem(503, "Service Unavailable", detail, code, headers={"Retry-After": "5"})
