"""The Flask application factory. Nothing happens at import time."""

from __future__ import annotations

import logging
import time
import uuid
from functools import partial

from flask import Flask, Response, current_app, g, request

from schemas.common import document_page_limits, document_text_rules
from schemas.subscriptions import SubscriptionIn
from schemas.tokens import TokenIn
from service.api import (
    alert_pages,
    alerts,
    api_docs,
    auth,
    body,
    checkpoints,
    dashboard_pages,
    dashboards,
    downloads,
    health,
    imports,
    initiatives,
    languages,
    log,
    milestones,
    programmes,
    proofs,
    ratelimit,
    report_pages,
    subscriptions,
    tokens,
)
from service.api.errors import (
    ProblemApi,
    authenticated_first,
    problem,
    register_error_handlers,
    unauthenticated,
)
from service.bootstrap import Services, bootstrap
from service.dashboards.wake import set_wake_on_append, wake_projector
from service.ledger.durability import ensure_durable
from service.runtime.config import Config
from service.runtime.connection import UNAVAILABLE
from service.runtime.metrics import LATENCY, REQUESTS

BODY_METHODS = {"POST", "PUT", "PATCH"}
# The HTML pages post forms; everything else takes JSON but a bulk report.
PAGES = {dashboard_pages.blp.name, alert_pages.blp.name, report_pages.blp.name}
JSON_ONLY = ("application/json",)
request_log = logging.getLogger("reform_tracker.http")


def create_app(config: Config | None = None, services: Services | None = None) -> Flask:
    config = config or (services.config if services else Config.from_env())
    services = services or bootstrap(config)
    _check_durability(services)
    if not config.has_queues:
        logging.getLogger("reform_tracker").warning(
            "RT_REDIS_CLUSTER is set without RT_QUEUE_REDIS_URL: no jobs are queued, so "
            "nothing is sealed, projected or alerted (see docs/operations.md)"
        )
    if not services.append_listeners:
        services.append_listeners.append(partial(wake_projector, services))
        set_wake_on_append(services)

    app = Flask("service")  # templates/ and static/ live in the service package
    app.config.update(
        MAX_CONTENT_LENGTH=config.max_body_bytes,
        PAGE_SIZE_MAX=config.page_size_max,
        API_TITLE="Reform Tracker",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=api_docs.ASSETS_URL,
        # Swagger UI would send the document to validator.swagger.io for a badge.
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},
        API_SPEC_OPTIONS={
            "info": {
                "description": "Event-sourced, hash-chained tracking of reform programmes. "
                "Errors are RFC 9457 problem+json. A request body is checked before "
                "its endpoint sees it, in this order: 401 without a valid bearer token, "
                "408 when it does not arrive within the configured time, 413 when it is "
                "too large (chunked too), 415 when it is not application/json (a bulk "
                "report to POST /imports may also be .xlsx, .csv or a multipart form), "
                "400 when "
                "it is not I-JSON (RFC 7493: no lone surrogates, NaN or Infinity, "
                "integers of at most 4,300 digits, nesting at most "
                f"{body.MAX_DEPTH} deep); then 422 for "
                "invalid or unknown fields. "
                "A write is refused with 503 "
                "`store-not-durable` (nothing written) while Redis is configured so that "
                "it could lose acknowledged events. A 503 `store-outcome-unknown` means "
                "the store did not confirm a write that may have been recorded: a retry "
                "with the same Idempotency-Key is safe, a retry without one may record "
                "the change twice, so send an Idempotency-Key with every write you may "
                "retry. With replicas, a 503 `store-not-replicated` means the primary "
                "took the write but no replica confirmed it in time: it is not "
                "acknowledged, and a retry with the same Idempotency-Key returns it once "
                "the replicas have it.",
            },
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
    )
    app.extensions["reform_tracker"] = services
    api = ProblemApi(app)
    document_page_limits(api.ma_plugin.converter, config.page_size_max)  # before the routes
    document_text_rules(api.ma_plugin.converter)
    for module in (
        programmes,
        initiatives,
        milestones,
        log,
        proofs,
        checkpoints,
        tokens,
        alerts,
        subscriptions,
        imports,
    ):
        api.register_blueprint(module.blp)
    app.register_blueprint(health.blp)
    app.register_blueprint(api_docs.blp)
    api.register_blueprint(dashboards.blp)
    api.register_blueprint(downloads.blp)
    # The same downloads under /ui/data, where the pages' sign-in cookie is sent.
    app.register_blueprint(downloads.blp, name="page_downloads", url_prefix="/ui/data")
    app.register_blueprint(dashboard_pages.blp)
    app.register_blueprint(alert_pages.blp)
    app.register_blueprint(report_pages.blp)
    languages.install(app)
    _document_schema_rules(api)
    register_error_handlers(app)
    # Request ids and content-type checks come first, so even a 429 carries its request id.
    app.before_request(_before)
    app.after_request(_after)
    if config.rate_limit:
        ratelimit.install(app, config)
    return app


def _document_schema_rules(api: ProblemApi) -> None:
    """Cross-field rules that marshmallow validates and JSON Schema can also state."""
    api.spec.components.schemas["TokenIn"].update(TokenIn.json_schema_rules)
    api.spec.components.schemas["SubscriptionIn"].update(SubscriptionIn.json_schema_rules)


def _check_durability(services: Services) -> None:
    """Refuse to serve on a Redis that could lose events; an unreachable one shows in /readyz."""
    try:
        config = services.config
        ensure_durable(services.redis, config.allow_unsafe_redis, config.min_replicas_ack)
    except UNAVAILABLE as error:
        logging.getLogger("reform_tracker").warning("redis unreachable at start: %s", error)


def _before() -> Response | None:
    g.request_id = request.headers.get("X-Request-ID") or str(uuid.uuid4())
    g.started = time.perf_counter()
    has_body = bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", ""
    )
    # An unmatched route has no blueprint: it is left to answer 404 or 405.
    if request.method not in BODY_METHODS or request.blueprint is None:
        return None
    # The HTML pages post forms; every API body is JSON but a bulk report, and the API
    # authenticates before it says anything about a body: a caller who presents no token
    # at all is refused without the body being read.
    services: Services = current_app.extensions["reform_tracker"]
    pages = request.blueprint in PAGES
    api = g.api_body = not pages
    if api and not auth.presents_token():
        return unauthenticated()
    if request.blueprint in (imports.blp.name, report_pages.blp.name):
        request.max_content_length = services.config.import_max_bytes
    media_types = imports.MEDIA_TYPES if request.blueprint == imports.blp.name else JSON_ONLY
    refusal = _read_body(has_body, None if pages else media_types)
    return authenticated_first(refusal) if api and refusal is not None else refusal


def _read_body(has_body: bool, media_types: tuple[str, ...] | None) -> Response | None:
    """Read the body; refuse it unless it is one of ``media_types`` (None: any)."""
    services: Services = current_app.extensions["reform_tracker"]
    try:
        data = body.read(request, services.config.body_timeout_seconds)
    except body.BodyTimeout:
        return problem(
            408,
            "Request Timeout",
            f"The body did not arrive within {services.config.body_timeout_seconds:g} s.",
            "body-timeout",
        )
    except body.BodyTooLarge:
        return problem(
            413,
            "Content Too Large",
            f"The body is over {request.max_content_length} bytes.",
            "body-too-large",
        )
    if media_types is None:
        return None
    if has_body and request.mimetype not in media_types:
        return problem(
            415,
            "Unsupported Media Type",
            "Send the body as application/json."
            if media_types == JSON_ONLY
            else imports.WRONG_TYPE,
            "unsupported-media-type",
        )
    if data and request.mimetype == "application/json":
        try:
            body.check_json(data)
        except body.NotStrictJson as error:
            return problem(400, "Bad Request", f"Invalid JSON body: {error}.", "invalid-json")
    return None


def _after(response: Response) -> Response:
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    REQUESTS.labels(request.method, endpoint, response.status_code).inc()
    LATENCY.labels(request.method, endpoint).observe(elapsed)
    response.headers["X-Request-ID"] = g.get("request_id", "")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    response.headers["Referrer-Policy"] = "no-referrer"
    if "Authorization" in request.headers:
        response.headers["Cache-Control"] = "no-store"
    token = g.get("token")
    request_log.info(
        "request",
        extra={
            "request_id": g.get("request_id"),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 2),
            "token_id": token.id if token else None,
        },
    )
    return response
