"""Alert e-mail: plain text a person can act on, sent over SMTP with smtplib.

``Smtp`` is where to send and as whom: the service takes it from its settings (RT_SMTP_*),
a witness from its own command line, so both send through this one module.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from service.alerts.deliveries import Outcome
from service.alerts.domain import alerts as al
from service.runtime.config import Config

HEADLINES = {
    "AlertRaised": "New alert",
    "AlertEscalated": "Escalated, not acknowledged",
    "AlertRenotified": "Still not acknowledged",
}


@dataclass(frozen=True)
class Smtp:
    """An SMTP server, how to log in to it, and the sender address."""

    host: str = "127.0.0.1"
    port: int = 25
    tls: bool = False  # STARTTLS
    user: str = ""
    password: str = ""
    sender: str = "reform-tracker@localhost"

    @classmethod
    def of(cls, config: Config) -> Smtp:
        return cls(
            config.smtp_host,
            config.smtp_port,
            config.smtp_tls,
            config.smtp_user,
            config.smtp_password,
            config.smtp_from,
        )


@dataclass(frozen=True)
class AlertNotice:
    """One alert event, with what the reader needs to know about it."""

    event_type: str
    alert: al.Alert
    initiative_title: str
    on: date  # the day of the event, for "days overdue"
    already_open: bool = False  # told on subscribing, of an alert open before

    def link(self, config: Config) -> str:
        return f"{config.base_url.rstrip('/')}/ui/milestones/{self.alert.milestone_id}"

    def summary(self) -> str:
        if self.alert.condition == al.OVERDUE:
            return f"overdue by {self.alert.days_overdue(self.on)} days"
        return f"due {self.alert.due_date.isoformat()} ({self.alert.condition.replace('_', ' ')})"

    def lines(self, config: Config) -> list[str]:
        alert = self.alert
        headline = "Already open" if self.already_open else HEADLINES.get(self.event_type)
        opened = [
            f"Already open:  since {alert.raised_at.date().isoformat()}, "
            "before this subscription was created"
        ]
        return [
            f"{headline or self.event_type}: {alert.milestone_title}",
            "",
            *(opened if self.already_open else []),
            f"Milestone:     {alert.milestone_title}",
            f"Initiative:    {self.initiative_title}",
            f"Owner agency:  {alert.owner_agency}",
            f"Due date:      {alert.due_date.isoformat()}",
            f"Days overdue:  {alert.days_overdue(self.on)}",
            f"Severity:      {alert.severity}",
            f"Escalated to:  {alert.level.replace('_', ' ')}",
            f"Link:          {self.link(config)}",
        ]


def plain_message(sender: str, to: str, subject: str, body: str, at: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(at)  # RFC 5322 requires it; some filters insist
    message["Message-ID"] = make_msgid(domain="reform-tracker")
    message.set_content(body)
    return message


def alert_message(config: Config, to: str, notice: AlertNotice, at: datetime) -> EmailMessage:
    subject = f"[Reform Tracker] {notice.alert.milestone_title}: {notice.summary()}"
    footer = [
        "",
        "Acknowledge the alert, with a note, to stop its escalation:",
        f"POST /alerts/{notice.alert.alert_id}/acknowledge",
    ]
    body = "\n".join(notice.lines(config) + footer) + "\n"
    return plain_message(config.smtp_from, to, subject, body, at)


def digest_message(
    config: Config, to: str, notices: list[AlertNotice], at: datetime
) -> EmailMessage:
    subject = (
        f"[Reform Tracker] Daily alert digest {at.date().isoformat()}: {len(notices)} alert(s)"
    )
    parts = [f"{len(notices)} alert event(s) since the last digest.", ""]
    for number, notice in enumerate(notices, start=1):
        parts += [f"{number}. " + notice.lines(config)[0], *notice.lines(config)[2:], ""]
    return plain_message(config.smtp_from, to, subject, "\n".join(parts), at)


def send(server: Smtp, message: EmailMessage) -> Outcome:
    """One SMTP attempt. 4xx replies and lost connections are worth retrying; 5xx are not."""
    started = time.perf_counter()
    try:
        with smtplib.SMTP(server.host, server.port, timeout=30) as smtp:
            if server.tls:
                smtp.starttls(context=ssl.create_default_context())
            if server.user:
                smtp.login(server.user, server.password)
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as refused:
        codes = [code for code, _ in refused.recipients.values()]
        result = "retry" if all(400 <= code < 500 for code in codes) else "failed"
        return Outcome(result, error=f"recipients refused: {refused.recipients}")
    except smtplib.SMTPResponseException as error:
        result = "retry" if 400 <= error.smtp_code < 500 else "failed"
        return Outcome(result, status_code=error.smtp_code, error=str(error.smtp_error))
    except (OSError, smtplib.SMTPException) as error:
        return Outcome("retry", error=f"{type(error).__name__}: {error}")
    return Outcome("delivered", duration_ms=round((time.perf_counter() - started) * 1000, 1))
