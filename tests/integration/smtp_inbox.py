"""A real SMTP server (aiosmtpd) on a free 127.0.0.1 port, keeping what it accepts.

It answers DATA with ``reply`` (250 by default; a 4xx or 5xx reply to test retries and
refusals) and parses every accepted message with the standard library's e-mail parser.
"""

from __future__ import annotations

import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from service.runtime.redis_server import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.reply = "250 Message accepted"
        self.arrived = threading.Condition()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def __enter__(self) -> Inbox:
        self.controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)
        return list(self.messages)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        if self.reply.startswith("250"):
            parsed = message_from_bytes(envelope.content, policy=policy.default)
            with self.arrived:
                self.messages.append(parsed)  # type: ignore[arg-type]
                self.arrived.notify_all()
        return self.reply
