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
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
)
from service.api.auth import require, services
from service.domain.errors import NotFound
from service.policy import ADMINISTER
from service.subscriptions import Subscription
from workers.notify import Notifier, delivery_log, subscription_store

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


def found_subscription(subscription_id: Any) -> Subscription:
    found = subscription_store(services()).get(str(subscription_id))
    if found is None:
        raise NotFound(f"subscription {subscription_id}")
    return found


@blp.route("")
class Subscriptions(MethodView):
    @blp.response(200, SubscriptionOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every subscription (never their secrets)."""
        return [s.public() for s in subscription_store(services()).list()]

    @blp.arguments(SubscriptionIn())
    @blp.response(201, SubscriptionCreated)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Subscribe; a webhook's signing secret is in this response only. URLs that
        resolve to loopback, private or link-local addresses are refused (422) unless
        the administrator setting RT_WEBHOOK_ALLOW_PRIVATE is on."""
        fields = {k: (str(v) if k.endswith("_id") and v else v) for k, v in body.items()}
        created = subscription_store(services()).create(fields.pop("channel"), **fields)
        return {**created.public(), "secret": created.secret}


@blp.route("/<uuid:subscription_id>")
class SubscriptionResource(MethodView):
    @blp.response(200, SubscriptionOut)
    def get(self, subscription_id: Any) -> dict[str, Any]:
        """One subscription."""
        return found_subscription(subscription_id).public()

    @blp.response(204)
    def delete(self, subscription_id: Any) -> None:
        """Unsubscribe; deliveries still queued for it are skipped."""
        if not subscription_store(services()).delete(str(subscription_id)):
            raise NotFound(f"subscription {subscription_id}")


@blp.route("/<uuid:subscription_id>/deliveries")
class Deliveries(MethodView):
    @blp.arguments(DeliveryQuery(), location="query")
    @blp.response(200, DeliveryPage)
    def get(self, args: dict[str, Any], subscription_id: Any) -> dict[str, Any]:
        """The delivery log, newest first, with every attempt of each delivery."""
        found_subscription(subscription_id)
        found, cursor = delivery_log(services()).page(
            str(subscription_id), args.get("before"), args["limit"]
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
        found_subscription(subscription_id)
        log = delivery_log(services())
        delivery = log.get(str(delivery_id))
        if delivery is None or delivery.subscription_id != str(subscription_id):
            raise NotFound(f"delivery {delivery_id}")
        again = log.redeliver(delivery)
        Notifier(services()).enqueue_due()
        return asdict(again)
