"""Alert subscriptions (admin only): webhooks and e-mail, their delivery log, redelivery."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.subscriptions import (
    DeliveryOut,
    DeliveryPage,
    DeliveryQuery,
    SecretRotated,
    SecretRotationIn,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
)
from service.access.policy import ADMINISTER
from service.api.auth import current_token, require, services

blp = Blueprint(
    "subscriptions",
    __name__,
    url_prefix="/subscriptions",
    description="Who is told about alerts: signed webhooks (Standard Webhooks) "
    "or e-mail, filtered by programme, initiative, agency and severity.",
)


@blp.before_request
def administrators_only() -> None:
    """Refuse other callers before their input is even validated."""
    require(ADMINISTER)


@blp.route("")
class Subscriptions(MethodView):
    @blp.response(200, SubscriptionOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every subscription (never their secrets)."""
        return [s.public() for s in services().alerts.subscriptions(current_token())]

    @blp.arguments(SubscriptionIn())
    @blp.response(201, SubscriptionCreated)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Subscribe; a webhook's signing secret is in this response only (Redis keeps
        it sealed with a key held outside Redis). URLs that resolve to loopback, private
        or link-local addresses, directly or inside an IPv6 form such as NAT64, are
        refused (422) unless the administrator setting RT_WEBHOOK_ALLOW_PRIVATE is on.
        503 when the key that seals secrets is missing or unusable."""
        fields = {k: (str(v) if k.endswith("_id") and v else v) for k, v in body.items()}
        channel = fields.pop("channel")
        created = services().alerts.subscribe(current_token(), channel, **fields)
        return {**created.subscription.public(), "secret": created.secret}


@blp.route("/<uuid:subscription_id>")
class SubscriptionResource(MethodView):
    @blp.response(200, SubscriptionOut)
    def get(self, subscription_id: Any) -> dict[str, Any]:
        """One subscription."""
        return services().alerts.subscription(current_token(), str(subscription_id)).public()

    @blp.response(204)
    def delete(self, subscription_id: Any) -> None:
        """Unsubscribe; deliveries still queued for it are skipped."""
        services().alerts.unsubscribe(current_token(), str(subscription_id))


@blp.route("/<uuid:subscription_id>/rotate-secret")
class RotateSecret(MethodView):
    @blp.arguments(SecretRotationIn(), required=False)
    @blp.response(200, SecretRotated)
    def post(self, body: dict[str, Any], subscription_id: Any) -> dict[str, Any]:
        """Issue a new signing secret for a webhook, shown in this response only. Until
        `previous_secret_until` (now + `grace_seconds`, by default
        RT_WEBHOOK_SECRET_GRACE_SECONDS) every delivery carries two `v1,` signatures, one
        per secret, so the receiver can switch at its own pace; after it, only the new
        secret signs. `grace_seconds` 0 revokes the old secret at once (after a leak).
        Rotating again within the grace period drops the oldest secret. 409 for an
        e-mail subscription; 503 when the key that seals secrets is missing or unusable."""
        rotated = services().alerts.rotate_secret(
            current_token(), str(subscription_id), (body or {}).get("grace_seconds")
        )
        return {**rotated.subscription.public(), "secret": rotated.secret}


@blp.route("/<uuid:subscription_id>/deliveries")
class Deliveries(MethodView):
    @blp.arguments(DeliveryQuery(), location="query")
    @blp.response(200, DeliveryPage)
    def get(self, args: dict[str, Any], subscription_id: Any) -> dict[str, Any]:
        """The delivery log, newest first, with every attempt of each delivery."""
        found, cursor = services().alerts.deliveries(
            current_token(), str(subscription_id), args.get("before"), args["limit"]
        )
        return {
            "deliveries": [asdict(d) for d in found],
            "next_cursor": str(cursor) if cursor else None,
        }


@blp.route("/<uuid:subscription_id>/deliveries/<uuid:delivery_id>/redeliver")
class Redeliver(MethodView):
    @blp.response(202, DeliveryOut)
    def post(self, subscription_id: Any, delivery_id: Any) -> dict[str, Any]:
        """Send a delivery again (same webhook-id, so receivers can dedupe)."""
        again = services().alerts.redeliver(current_token(), str(subscription_id), str(delivery_id))
        return asdict(again)
