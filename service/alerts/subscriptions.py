"""Alert subscriptions: who is told about which alerts, by webhook or by e-mail.

A webhook's signing secret is kept server-side (it has to be, to sign) and shown to the
administrator once, at creation. Subscriptions are administration data, not events.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from dataclasses import asdict, dataclass, replace
from typing import Any

import redis

from service.alerts.domain import alerts as al
from service.alerts.webhooks import RefusedTarget, resolve_target
from service.ledger.domain.errors import InvalidValue
from service.ledger.keys import Keys
from service.runtime.clock import Clock, isoformat

WEBHOOK, EMAIL = "webhook", "email"


@dataclass(frozen=True)
class Subscription:
    id: str
    channel: str
    created_at: str
    url: str | None = None
    address: str | None = None
    digest: bool = False  # e-mail only: one message a day instead of one per alert event
    programme_id: str | None = None
    initiative_id: str | None = None
    agency: str | None = None
    severities: tuple[str, ...] = ()  # empty: every severity
    audience: str = al.LEVELS[0]  # told once an alert reaches this escalation level
    description: str = ""
    disabled: bool = False
    disabled_reason: str | None = None
    secret: str | None = None

    def matches(self, alert: al.Alert) -> bool:
        """Is this subscriber told about ``alert`` at the level it has reached?"""
        return (
            not self.disabled
            and self.programme_id in (None, alert.programme_id)
            and self.initiative_id in (None, alert.initiative_id)
            and self.agency in (None, alert.owner_agency)
            and (not self.severities or alert.severity in self.severities)
            and al.LEVELS.index(self.audience) <= al.LEVELS.index(alert.level)
        )

    def public(self) -> dict[str, Any]:
        shown = asdict(self)
        del shown["secret"]
        return shown


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class SubscriptionStore:
    def __init__(
        self, client: redis.Redis, keys: Keys, clock: Clock, allow_private: bool = False
    ) -> None:
        self.redis = client
        self.key = keys.admin("subscriptions")
        self.clock = clock
        self.allow_private = allow_private

    def create(self, channel: str, **fields: Any) -> Subscription:
        """A new subscription; a webhook's URL must resolve to addresses it may reach."""
        if channel == WEBHOOK:
            try:
                resolve_target(fields.get("url") or "", self.allow_private)
            except RefusedTarget as refused:
                raise InvalidValue("url", str(refused)) from None
            fields["secret"] = new_secret()
        elif not fields.get("address"):
            raise InvalidValue("address", "an e-mail subscription needs an address")
        if fields.get("audience", al.LEVELS[0]) not in al.LEVELS:
            raise InvalidValue("audience", f"audience must be one of {', '.join(al.LEVELS)}")
        fields["severities"] = tuple(fields.get("severities") or ())
        subscription = Subscription(
            id=str(uuid.uuid4()),
            channel=channel,
            created_at=isoformat(self.clock.now()),
            **fields,
        )
        self._save(subscription)
        return subscription

    def _save(self, subscription: Subscription) -> None:
        self.redis.hset(self.key, subscription.id, json.dumps(asdict(subscription)))

    def get(self, subscription_id: str) -> Subscription | None:
        raw = self.redis.hget(self.key, subscription_id)
        return _load(raw) if raw else None

    def list(self) -> list[Subscription]:
        found = [_load(raw) for raw in self.redis.hvals(self.key)]
        return sorted(found, key=lambda s: (s.created_at, s.id))

    def delete(self, subscription_id: str) -> bool:
        return bool(self.redis.hdel(self.key, subscription_id))

    def disable(self, subscription_id: str, reason: str) -> None:
        found = self.get(subscription_id)
        if found and not found.disabled:
            self._save(replace(found, disabled=True, disabled_reason=reason))


def _load(raw: Any) -> Subscription:
    data = json.loads(raw)
    data["severities"] = tuple(data.get("severities") or ())
    return Subscription(**data)
