"""System alerts: about the log itself, not about a milestone.

When the log refuses to sign a checkpoint — its stored history is not consistent with a
checkpoint it signed before, so someone with access to Redis rewrote it — the ledger
keeps the refusal (service/ledger/signing.py). This raises it as an alert, once per
checkpoint it is refused against, to every subscription that watches everything (no
programme, initiative or agency filter), whatever its severity, audience and digest
settings: a forked log is never low, never for one agency only, and never waits a day.

A system alert is not an event in the log, since the log is what it doubts: it is kept
beside the subscriptions and the delivery log, in the administration keyspace.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from service.alerts.deliveries import Delivery
from service.alerts.domain import alerts as al
from service.alerts.mailer import aligned
from service.alerts.notifier import delivery_log, subscription_store
from service.ledger.infrastructure import Infrastructure
from service.runtime.languages import DEFAULT, N_, translations

CHECKPOINT_REFUSED = "CheckpointRefused"
SYSTEM = "system"  # the kind of a delivery of a system alert
REFUSED = N_(
    "The log refused to sign a checkpoint: its stored history is not consistent with the "
    "checkpoint of %(size)s events it signed before."
)


@dataclass(frozen=True)
class SystemAlert:
    id: str
    type: str
    raised_at: str
    summary: str
    details: dict[str, Any]

    def webhook_type(self) -> str:
        return "log.checkpoint_refused" if self.type == CHECKPOINT_REFUSED else self.type

    def said(self, language: str = DEFAULT) -> str:
        """The summary in ``language`` (the stored one is English)."""
        if self.type != CHECKPOINT_REFUSED:
            return self.summary
        return translations(language).gettext(REFUSED) % {"size": self.details["checkpoint_size"]}

    def lines(self, base_url: str, language: str = DEFAULT) -> list[str]:
        """For people, in ``language``; the reason is the ledger's own, in English."""
        _ = translations(language).gettext
        d = self.details
        size, tree = d["checkpoint_size"], d["tree_size"]
        facts = [
            (_("Reason"), d["reason"]),
            (
                _("Last checkpoint signed"),
                _("%(size)s events, root %(root)s") % {"size": size, "root": d["checkpoint_root"]},
            ),
            (_("Tree size now"), _("%(size)s events") % {"size": tree}),
            (_("Refused at"), d["refused_at"]),
            (_("Checkpoints"), f"{base_url.rstrip('/')}/checkpoints"),
        ]
        return [
            self.said(language),
            "",
            *aligned(facts),
            "",
            _("Nothing was signed. Compare the log with a copy or an export checked against"),
            _("an earlier checkpoint, and ask the witnesses for the checkpoints they cosigned"),
            "(reform-tracker verify --file <export> --checkpoint <file> --key <verifier key>).",
        ]


def checkpoint_refused(raw: str) -> SystemAlert:
    """The alert for a stored refusal; its id is the checkpoint it was refused against.
    An earlier version stored the reason alone, as text."""
    try:
        details = json.loads(raw)
    except ValueError:
        details = None
    if not isinstance(details, dict):
        details = {"reason": raw, "checkpoint_size": 0, "checkpoint_root": ""}
        details |= {"tree_size": 0, "refused_at": ""}
    size, root = details["checkpoint_size"], details["checkpoint_root"]
    return SystemAlert(
        id=str(uuid.uuid5(al.NAMESPACE, f"checkpoint-refused:{size}:{root}")),
        type=CHECKPOINT_REFUSED,
        raised_at=details["refused_at"],
        summary=REFUSED % {"size": size},
        details=details,
    )


class SystemAlerts:
    def __init__(self, services: Infrastructure) -> None:
        self.services = services
        self.redis = services.redis
        self.key = services.keys.admin("system-alerts")

    def get(self, alert_id: str) -> SystemAlert | None:
        raw = self.redis.hget(self.key, alert_id)
        return SystemAlert(**json.loads(raw)) if raw else None

    def raise_pending(self) -> int:
        """Raise the log's last checkpoint refusal unless it was raised already: kept,
        with one delivery per subscription that watches everything, in one transaction.
        Returns how many deliveries it recorded."""
        raw = self.redis.get(self.services.keys.checkpoint_refusal)
        if not raw:
            return 0
        alert = checkpoint_refused(str(raw))
        told = [s for s in subscription_store(self.services).list() if s.watches_everything]
        deliveries = delivery_log(self.services)

        recorded = [0]

        def record(pipe: Any) -> None:
            recorded[0] = 0
            # With nobody to tell, it stays pending until someone subscribes.
            if not told or pipe.hexists(self.key, alert.id):
                return
            seqs = [deliveries.next_seq() for _ in told]
            pipe.multi()
            pipe.hset(self.key, alert.id, json.dumps(asdict(alert)))
            for subscription, seq in zip(told, seqs, strict=True):
                deliveries.add(
                    pipe,
                    Delivery(
                        id=str(uuid.uuid5(al.NAMESPACE, f"{alert.id}:{subscription.id}")),
                        subscription_id=subscription.id,
                        channel=subscription.channel,
                        kind=SYSTEM,
                        events=[{"id": alert.id, "type": alert.type}],
                        created_at=alert.raised_at,
                        seq=seq,
                    ),
                )
            recorded[0] = len(told)

        self.redis.transaction(record, self.key)
        return recorded[0]
