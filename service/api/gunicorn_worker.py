"""gunicorn's threaded worker, answering gunicorn's own errors as problem+json.

gunicorn refuses some requests before the application sees them (a request line over
``limit_request_line``: 414, headers over ``limit_request_field_size``: 431, a malformed
request: 400, a crash outside the application: 500) and writes those answers as
text/html. A client of this API must be able to parse every answer the same way, so this
worker keeps gunicorn's decision (status, reason, logging, access log) and only changes
the representation: gunicorn writes its page into a stand-in for the socket, and the
same status goes out to the client as RFC 9457 problem+json.

Threads (gthread) rather than sync workers: a slow client holds one thread, not a whole
process, and not for long: its request line and headers must arrive within
``Config.body_timeout_seconds`` (or the connection is closed), and then its body within
as much again (or it gets 408, see service/api/body.py). gunicorn itself bounds only
each wait for data, which a client sending a byte a second never trips.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.util import write_nonblock
from gunicorn.workers.gthread import ThreadWorker

from service.api.body import reaper
from service.api.errors import problem_details
from service.runtime.config import Config

CODES = {LimitRequestLine: "request-line-too-long", LimitRequestHeaders: "headers-too-large"}


class _Page:
    """Takes what gunicorn would have sent; everything else is the real socket's."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.written = b""

    def sendall(self, data: bytes) -> None:
        self.written += data

    def gettimeout(self) -> float:
        return 0.0  # so gunicorn writes straight into sendall

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def problem_bytes(status: int, reason: str, detail: str | None, code: str | None) -> bytes:
    body = problem_details(status, reason, detail, code)
    payload = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(payload)}\r\n"
        "X-Content-Type-Options: nosniff\r\n\r\n"
    )
    return head.encode("latin-1") + payload


class ProblemThreadWorker(ThreadWorker):  # type: ignore[misc]
    def init_process(self) -> None:
        self.head_timeout = Config.from_env().body_timeout_seconds
        super().init_process()

    def handle(self, conn: Any) -> Any:
        # Until the head is in (handle_request), the head's deadline holds the socket.
        reaper.watch(conn.sock, time.monotonic() + self.head_timeout)
        try:
            return super().handle(conn)
        finally:
            reaper.forget(conn.sock)

    def handle_request(self, req: Any, conn: Any) -> Any:
        reaper.forget(conn.sock)
        return super().handle_request(req, conn)

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        page = _Page(client)
        super().handle_error(req, page, addr, exc)
        status_line = page.written.split(b"\r\n", 1)[0].decode("latin-1")
        _version, status, reason = (status_line.split(" ", 2) + ["", ""])[:3]
        if not status.isdigit():
            return  # gunicorn wrote nothing: there is nothing to say
        number = int(status)
        # gunicorn's message is safe to show for a client error; a 500 says nothing inside.
        detail = str(exc) if number < 500 else None
        code = next((c for kind, c in CODES.items() if isinstance(exc, kind)), None)
        try:  # without blocking on a client that does not read, as gunicorn does
            write_nonblock(client, problem_bytes(number, reason, detail, code))
        except OSError:
            self.log.debug("Failed to send error message.")
