"""A real HTTP webhook receiver on a free 127.0.0.1 port, in a thread.

It verifies every request with the standardwebhooks package (and keeps the headers and
body, so a test can verify them again with another secret), answers with the next
status of a script (the last one repeats), and can hold a request open until released,
to let a test kill the sender mid-delivery.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Received:
    webhook_id: str
    verified: bool
    payload: Any
    status: int
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(self, secret: str = "", statuses: tuple[int, ...] = (200,)) -> None:
        self.secret = secret
        self.statuses = list(statuses)
        self.received: list[Received] = []
        self.arrived = threading.Condition()
        self.hold: threading.Event | None = None  # set -> requests wait for release()
        self.delay = 0.0  # seconds each answer takes, to widen the window for a kill
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/alerts"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def hold_requests(self) -> None:
        self.hold = threading.Event()

    def release(self) -> None:
        if self.hold:
            self.hold.set()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
        return list(self.received)

    def unique_deliveries(self) -> set[str]:
        """What a receiver that dedupes by webhook-id would have processed."""
        return {r.webhook_id for r in self.received if r.verified and r.status < 300}

    def _record(self, headers: dict[str, str], body: bytes) -> int:
        try:
            payload, verified = Webhook(self.secret).verify(body, headers), True
        except (WebhookVerificationError, ValueError):
            payload, verified = None, False
        with self.arrived:
            index = len(self.received)
            status = self.statuses[min(index, len(self.statuses) - 1)]
            self.received.append(
                Received(headers.get("webhook-id", ""), verified, payload, status, headers, body)
            )
            self.arrived.notify_all()
        return status

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver._record({k.lower(): v for k, v in self.headers.items()}, body)
                if receiver.hold:
                    receiver.hold.wait(60)
                time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        return Handler
