"""Alert e-mail: plain text a person can act on, sent over SMTP with smtplib.

Each is written in its subscription's language (Kazakh, Russian or English: the same
catalogues as the pages, service.runtime.languages); the subject keeps its
"[Reform Tracker]" prefix in every language, for mail filters.

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
from service.runtime.languages import DEFAULT, N_, format_day, format_number, term, translations

HEADLINES = {
    "AlertRaised": N_("New alert"),
    "AlertEscalated": N_("Escalated, not acknowledged"),
    "AlertRenotified": N_("Still not acknowledged"),
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

    def summary(self, language: str = DEFAULT) -> str:
        t = translations(language)
        if self.alert.condition == al.OVERDUE:
            days = self.alert.days_overdue(self.on)
            return t.ngettext("overdue by %(num)d day", "overdue by %(num)d days", days) % {
                "num": days
            }
        due, condition = format_day(self.alert.due_date, language), self.alert.condition
        return t.gettext("due %(day)s (%(condition)s)") % {
            "day": due,
            "condition": term(condition, language),
        }

    def lines(self, config: Config, language: str = DEFAULT) -> list[str]:
        """The headline, a blank line, then the facts as aligned "label: value" lines."""
        _ = translations(language).gettext
        alert = self.alert
        known = HEADLINES.get(self.event_type)
        headline = _("Already open") if self.already_open else _(known) if known else None
        opened = _("since %(day)s, before this subscription was created") % {
            "day": format_day(alert.raised_at.date(), language)
        }
        facts = [
            *([(_("Already open"), opened)] if self.already_open else []),
            (_("Milestone"), alert.milestone_title),
            (_("Initiative"), self.initiative_title),
            (_("Owner agency"), alert.owner_agency),
            (_("Due date"), format_day(alert.due_date, language)),
            (_("Days overdue"), format_number(alert.days_overdue(self.on), language)),
            (_("Severity"), term(alert.severity, language)),
            (_("Escalated to"), term(alert.level, language)),
            (_("Link"), self.link(config)),
        ]
        return [f"{headline or self.event_type}: {alert.milestone_title}", "", *aligned(facts)]


def aligned(facts: list[tuple[str, str]]) -> list[str]:
    """ "label: value" lines, the values in one column whatever the language's labels."""
    width = max(len(label) for label, _value in facts) + 3
    return [f"{label}:".ljust(width) + value for label, value in facts]


def plain_message(sender: str, to: str, subject: str, body: str, at: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(at)  # RFC 5322 requires it; some filters insist
    message["Message-ID"] = make_msgid(domain="reform-tracker")
    message.set_content(body)
    return message


def alert_message(
    config: Config, to: str, notice: AlertNotice, at: datetime, language: str = DEFAULT
) -> EmailMessage:
    subject = f"[Reform Tracker] {notice.alert.milestone_title}: {notice.summary(language)}"
    footer = [
        "",
        translations(language).gettext(
            "Acknowledge the alert, with a note, to stop its escalation:"
        ),
        f"POST /alerts/{notice.alert.alert_id}/acknowledge",
    ]
    body = "\n".join(notice.lines(config, language) + footer) + "\n"
    return plain_message(config.smtp_from, to, subject, body, at)


def digest_message(
    config: Config, to: str, notices: list[AlertNotice], at: datetime, language: str = DEFAULT
) -> EmailMessage:
    _ = translations(language).gettext
    count = {"num": len(notices), "day": format_day(at.date(), language)}
    subject = "[Reform Tracker] " + _("Daily alert digest %(day)s: %(num)d alert(s)") % count
    parts = [_("%(num)d alert event(s) since the last digest.") % count, ""]
    for number, notice in enumerate(notices, start=1):
        lines = notice.lines(config, language)
        parts += [f"{number}. " + lines[0], *lines[2:], ""]
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
