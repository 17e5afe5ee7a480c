"""A witness: cosigns a log's checkpoints only after checking them against the last one
it cosigned, and raises the alarm when a log shows it a forked history.

The decision is service/witness/protocol.py; this adds the key, the clock, the store and
the alarm. An alarm goes to whoever runs the witness, with both checkpoints in it, as a
Standard Webhooks POST and as an e-mail, through the same code the service's alerts use
(service/alerts/webhooks.py, service/alerts/mailer.py) with the witness's own settings.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from service.alerts import mailer, webhooks
from service.alerts.deliveries import Outcome
from service.ledger.domain.cosignature import Cosigner
from service.ledger.domain.note import Verifier
from service.runtime.clock import Clock, isoformat
from service.witness.protocol import (
    Conflict,
    Latest,
    Refused,
    checked,
    consistent,
    parse_request,
)
from service.witness.store import WitnessStore

log = logging.getLogger("reform_tracker.witness")
SIZE_TYPE = "text/x.tlog.size"
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = TEXT


@dataclass(frozen=True)
class Alarm:
    """Where the witness raises the alarm: a webhook, e-mail addresses, or both."""

    url: str | None = None
    secret: str = ""
    allow_private: bool = False
    email_to: tuple[str, ...] = ()
    smtp: mailer.Smtp = mailer.Smtp()


class Witness:
    def __init__(
        self,
        store: WitnessStore,
        cosigner: Cosigner,
        logs: dict[str, Verifier],
        clock: Clock,
        alarm: Alarm | None = None,
        send: Callable[..., Outcome] = webhooks.post,
    ) -> None:
        self.store = store
        self.cosigner = cosigner
        self.logs = logs
        self.clock = clock
        self.alarm = alarm
        self._send = send

    def add_checkpoint(self, body: str) -> Answer:
        try:
            request = parse_request(body)
            note, checkpoint = checked(request, self.logs)

            def decide(latest: Latest | None) -> tuple[Latest, str]:
                consistent(request, checkpoint, latest)
                return Latest(checkpoint.size, checkpoint.root), request.note

            self.store.advance(checkpoint.origin, decide)
        except Conflict as conflict:
            return Answer(409, conflict.message, SIZE_TYPE)
        except Refused as refused:
            if refused.evidence:
                self._raise_alarm(body, refused.message)
            return Answer(refused.status, refused.message + "\n")
        timestamp = int(self.clock.now().timestamp())
        return Answer(200, self.cosigner.cosign(note.text, timestamp).line())

    def _raise_alarm(self, submitted: str, reason: str) -> None:
        origin = submitted.partition("\n\n")[2].split("\n", 1)[0]
        now = isoformat(self.clock.now())
        self.store.keep_evidence(origin, now, submitted, reason)
        log.error("log misbehaviour: %s", reason, extra={"origin": origin})
        if self.alarm is None:
            return
        cosigned = self.store.latest(origin)
        payload = {
            "type": "witness.inconsistent_checkpoint",
            "timestamp": now,
            "data": {
                "witness": self.cosigner.name,
                "origin": origin,
                "reason": reason,
                "cosigned_checkpoint": cosigned[1] if cosigned else None,
                "submitted": submitted,
            },
        }
        outcomes = []
        if self.alarm.url:
            outcomes.append(
                self._send(
                    self.alarm.url,
                    [self.alarm.secret],
                    str(uuid.uuid4()),
                    json.dumps(payload, sort_keys=True),
                    timeout=10.0,
                    allow_private=self.alarm.allow_private,
                )
            )
        if self.alarm.email_to:
            message = self._alarm_message(self.alarm, payload)
            outcomes.append(mailer.send(self.alarm.smtp, message))
        for outcome in outcomes:
            if outcome.result != "delivered":
                log.error("alarm not delivered: %s", outcome.error, extra={"origin": origin})

    def _alarm_message(self, alarm: Alarm, payload: dict[str, Any]) -> EmailMessage:
        data = payload["data"]
        body = [
            f"Witness {data['witness']} refused a checkpoint of the log {data['origin']}:",
            "the log showed it a history that is not consistent with what it cosigned.",
            "",
            f"Reason:      {data['reason']}",
            f"Recorded at: {payload['timestamp']}",
            "",
            "The checkpoint this witness cosigned last:",
            data["cosigned_checkpoint"] or "(none)",
            "The request the log submitted:",
            data["submitted"],
            "The evidence is kept by the witness (GET /evidence).",
        ]
        return mailer.plain_message(
            alarm.smtp.sender,
            ", ".join(alarm.email_to),
            f"[Witness] The log {data['origin']} showed a forked history",
            "\n".join(body) + "\n",
            self.clock.now(),
        )
