"""Alert subscriptions: who is told about which alerts, by webhook or by e-mail.

A webhook's signing secret is kept server-side (it has to be, to sign) but only sealed
(service.runtime.secretbox, keys outside Redis): nothing written to Redis holds it in the
clear. The administrator sees it once, when it is issued. Rotation keeps two secrets for
a grace period, and deliveries are signed with both (Standard Webhooks allows several
signatures), so receivers can switch without losing a delivery. Secrets stored in the
clear by earlier versions are read as they are and sealed by the next write of their
subscription, or all at once by ``reseal``. Subscriptions are administration data, not
events.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import redis

from service.alerts.domain import alerts as al
from service.alerts.webhooks import RefusedTarget, resolve_target
from service.ledger.domain.errors import DomainError, InvalidValue
from service.ledger.keys import Keys
from service.runtime.clock import Clock, isoformat
from service.runtime.connection import owner, rerouted
from service.runtime.languages import DEFAULT as DEFAULT_LANGUAGE
from service.runtime.languages import LANGUAGES
from service.runtime.secretbox import SecretBox

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
    language: str = DEFAULT_LANGUAGE  # e-mail only: the language its messages are written in
    disabled: bool = False
    disabled_reason: str | None = None
    sealed_secret: str | None = None  # webhook only: the signing secret, sealed
    # After a rotation: the secret before, sealed, which also signs until this time.
    sealed_previous_secret: str | None = None
    previous_secret_until: str | None = None
    # A secret an earlier version stored in the clear; never written back as it is.
    unsealed_secret: str | None = None

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

    @property
    def watches_everything(self) -> bool:
        """No programme, initiative or agency filter: told of system alerts too."""
        return not self.disabled and (self.programme_id, self.initiative_id, self.agency) == (
            None,
            None,
            None,
        )

    def public(self) -> dict[str, Any]:
        shown = asdict(self)
        for secret in ("sealed_secret", "sealed_previous_secret", "unsealed_secret"):
            del shown[secret]
        return shown


@dataclass(frozen=True)
class Issued:
    """A subscription and its new signing secret in the clear: shown once, never stored."""

    subscription: Subscription
    secret: str | None


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class SubscriptionStore:
    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        clock: Clock,
        allow_private: bool = False,
        *,
        box: Callable[[], SecretBox],
    ) -> None:
        self.redis = client
        self.key = keys.admin("subscriptions")
        self.clock = clock
        self.allow_private = allow_private
        # Called when a secret is sealed or opened, so that a missing key only stops
        # what needs it (e-mail subscriptions and listings work without one).
        self.box = box

    def create(self, channel: str, **fields: Any) -> Issued:
        """A new subscription; a webhook's URL must resolve to addresses it may reach."""
        secret = None
        if channel == WEBHOOK:
            try:
                resolve_target(fields.get("url") or "", self.allow_private)
            except RefusedTarget as refused:
                raise InvalidValue("url", str(refused)) from None
            secret = new_secret()
            fields["sealed_secret"] = self.box().seal(secret)
        elif not fields.get("address"):
            raise InvalidValue("address", "an e-mail subscription needs an address")
        if fields.get("language", DEFAULT_LANGUAGE) not in LANGUAGES:
            raise InvalidValue("language", f"language must be one of {', '.join(LANGUAGES)}")
        if fields.get("audience", al.LEVELS[0]) not in al.LEVELS:
            raise InvalidValue("audience", f"audience must be one of {', '.join(al.LEVELS)}")
        fields["severities"] = tuple(fields.get("severities") or ())
        subscription = Subscription(
            id=str(uuid.uuid4()),
            channel=channel,
            created_at=isoformat(self.clock.now()),
            **fields,
        )
        self.redis.hset(self.key, subscription.id, self._dumps(subscription))
        return Issued(subscription, secret)

    def _dumps(self, subscription: Subscription) -> str:
        if subscription.unsealed_secret:
            sealed = self.box().seal(subscription.unsealed_secret)
            subscription = replace(subscription, sealed_secret=sealed, unsealed_secret=None)
        stored = asdict(subscription)
        del stored["unsealed_secret"]
        return json.dumps(stored)

    def _update(
        self, subscription_id: str, change: Callable[[Subscription], Subscription | None]
    ) -> Subscription | None:
        """Apply ``change`` to the stored subscription, again if another writer (a 410
        disabling it, a rotation) got there first; None if there is none (or no change)."""
        outcome: list[Subscription | None] = [None]

        def attempt(pipe: Any) -> None:
            raw = pipe.hget(self.key, subscription_id)
            changed = change(_load(raw)) if raw else None
            outcome[0] = changed
            if changed is not None:
                pipe.multi()
                pipe.hset(self.key, subscription_id, self._dumps(changed))

        with rerouted(self.redis):
            owner(self.redis, self.key).transaction(attempt, self.key)
        return outcome[0]

    def get(self, subscription_id: str) -> Subscription | None:
        raw = self.redis.hget(self.key, subscription_id)
        return _load(raw) if raw else None

    def list(self) -> list[Subscription]:
        found = [_load(raw) for raw in self.redis.hvals(self.key)]
        return sorted(found, key=lambda s: (s.created_at, s.id))

    def delete(self, subscription_id: str) -> bool:
        return bool(self.redis.hdel(self.key, subscription_id))

    def disable(self, subscription_id: str, reason: str) -> None:
        self._update(
            subscription_id,
            lambda found: (
                None if found.disabled else replace(found, disabled=True, disabled_reason=reason)
            ),
        )

    def signing_secrets(self, subscription: Subscription) -> tuple[str, ...]:
        """The secrets a delivery is signed with now: the current one, and the one it
        replaced while its grace period lasts."""
        what = f"the signing secret of subscription {subscription.id}"
        if subscription.unsealed_secret:
            current = subscription.unsealed_secret
        elif subscription.sealed_secret:
            current = self.box().open(subscription.sealed_secret, what)
        else:
            return ()
        until = subscription.previous_secret_until
        if subscription.sealed_previous_secret and until and self.clock.now() < _at(until):
            previous = self.box().open(subscription.sealed_previous_secret, "the previous " + what)
            return current, previous
        return (current,)

    def rotate(self, subscription_id: str, grace: timedelta) -> Issued | None:
        """A new signing secret; the current one keeps signing beside it for ``grace``
        (not at all when ``grace`` is zero, e.g. after a leak). A rotation inside the
        grace period of another drops the oldest: two secrets at most sign at once."""
        secret = new_secret()
        box = self.box()
        now = self.clock.now()

        def change(found: Subscription) -> Subscription:
            if found.channel != WEBHOOK:
                raise DomainError("not_a_webhook", "only webhook subscriptions have a secret")
            previous = until = None
            if grace > timedelta(0):
                what = f"the signing secret of subscription {found.id}"
                current = found.unsealed_secret or box.open(found.sealed_secret or "", what)
                previous, until = box.seal(current), isoformat(now + grace)
            return replace(
                found,
                sealed_secret=box.seal(secret),
                sealed_previous_secret=previous,
                previous_secret_until=until,
                unsealed_secret=None,
            )

        rotated = self._update(subscription_id, change)
        return Issued(rotated, secret) if rotated else None

    def reseal(self) -> int:
        """Seal every secret stored in the clear and reseal every sealed one with the
        newest key (after a key rotation); returns how many subscriptions changed."""
        box = self.box()

        def change(found: Subscription) -> Subscription | None:
            what = f"the signing secret of subscription {found.id}"
            resealed = replace(
                found,
                sealed_secret=(
                    box.seal(found.unsealed_secret)
                    if found.unsealed_secret
                    else found.sealed_secret and box.reseal(found.sealed_secret, what)
                ),
                sealed_previous_secret=found.sealed_previous_secret
                and box.reseal(found.sealed_previous_secret, "the previous " + what),
                unsealed_secret=None,
            )
            return None if resealed == found else resealed

        changed = [s.id for s in self.list() if self._update(s.id, change)]
        return len(changed)


def _at(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp)


def _load(raw: Any) -> Subscription:
    data = json.loads(raw)
    data["severities"] = tuple(data.get("severities") or ())
    if "secret" in data:  # stored in the clear by an earlier version
        data["unsealed_secret"] = data.pop("secret")
    return Subscription(**data)
