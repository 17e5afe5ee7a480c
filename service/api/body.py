"""Request bodies: read within a deadline and a size limit, then checked as strict JSON.

Every API body passes through here once, before any view or schema sees it, so no
endpoint can be reached by a body that would fail later, deep in the service:

- the whole body must arrive within ``Config.body_timeout_seconds`` (a total deadline,
  not a per-read one, so a client trickling one byte a second cannot hold a worker
  thread for long): 408 otherwise;
- a body over ``Config.max_body_bytes`` is 413, whether announced by Content-Length or
  sent chunked;
- JSON must be I-JSON (RFC 7493): no lone surrogates (``"\\ud800"``), which cannot be
  encoded as UTF-8 and so never reach the log's canonical bytes; no NaN or Infinity; no
  integer of more digits than Python converts (4,300); nesting at most ``MAX_DEPTH``
  deep, far below the interpreter's recursion limit that marshmallow and the canonical
  encoder would otherwise hit. Anything else is 400.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from typing import Any

from flask import Request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

# No resource nests deeper than a few levels; 32 leaves room and stays far from recursion.
MAX_DEPTH = 32


class BodyTimeout(Exception):
    """The client did not send its whole body within the deadline."""


class BodyTooLarge(Exception):
    """The body is over the configured limit."""


class NotStrictJson(ValueError):
    """The body is not JSON this service accepts; the message says why."""


class Reaper:
    """One thread per process that cuts off requests still arriving past their deadline.

    A socket timeout bounds one wait for data, not the whole request: a client sending
    a byte a second never trips it. So each socket being read is registered here (its
    head by the gunicorn worker, its body by ``read``), and once its deadline passes it
    is shut for reading, which ends the read at once.
    """

    TICK = 0.25

    def __init__(self) -> None:
        self._reading: dict[int, tuple[float, socket.socket]] = {}
        self._pid = 0

    def watch(self, sock: socket.socket, deadline: float) -> None:
        if self._pid != os.getpid():  # first body in this (forked) process
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="body-deadlines", daemon=True).start()
        self._reading[id(sock)] = (deadline, sock)

    def forget(self, sock: socket.socket) -> None:
        self._reading.pop(id(sock), None)

    def _run(self) -> None:
        while True:
            time.sleep(self.TICK)
            now = time.monotonic()
            for key, (deadline, sock) in list(self._reading.items()):
                if deadline <= now:
                    self._reading.pop(key, None)
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RD)


reaper = Reaper()


class _Deadline:
    """wsgi.input that gives up when the body's deadline passes: each wait for data is
    bounded by the time left, and the reaper ends a read that trickles past it. Only
    ``read`` is offered, so werkzeug reads through it."""

    def __init__(self, raw: Any, sock: socket.socket | None, deadline: float) -> None:
        self._raw = raw
        self._sock = sock
        self._deadline = deadline

    def expired(self) -> bool:
        return time.monotonic() >= self._deadline

    def read(self, size: int = -1) -> bytes:
        if self.expired():
            raise BodyTimeout
        if self._sock is not None:
            self._sock.settimeout(self._deadline - time.monotonic())
        try:
            data: bytes = self._raw.read(size)
        except Exception:
            if self.expired():  # the wait timed out, or the reaper cut the read short
                raise BodyTimeout from None
            raise
        if self.expired():
            raise BodyTimeout
        return data


def read(request: Request, timeout: float) -> bytes:
    """The whole body, cached on the request (``get_data`` answers from the cache).
    Raises BodyTimeout or BodyTooLarge."""
    environ = request.environ
    # gunicorn hands the application the client socket; other servers read without one.
    sock: socket.socket | None = environ.get("gunicorn.socket")
    before = sock.gettimeout() if sock is not None else None
    deadline = time.monotonic() + timeout
    raw = environ["wsgi.input"] = _Deadline(environ["wsgi.input"], sock, deadline)
    if sock is not None:
        reaper.watch(sock, deadline)
    try:
        data = request.get_data(cache=True)
        # werkzeug stops a chunked body at the limit without saying whether more followed.
        limit = request.max_content_length
        chunked_at_limit = request.content_length is None and limit is not None
        if chunked_at_limit and len(data) >= (limit or 0) and raw.read(1):
            raise BodyTooLarge
        return data
    except RequestEntityTooLarge:
        raise BodyTooLarge from None
    except ClientDisconnected:
        if raw.expired():  # werkzeug saw the body end short when the reaper cut it
            raise BodyTimeout from None
        raise
    finally:
        if sock is not None:
            reaper.forget(sock)
            sock.settimeout(before)


def check_json(data: bytes) -> None:
    """Raise NotStrictJson unless ``data`` is JSON as described in the module docstring."""
    try:
        document = json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        raise NotStrictJson(f"JSON is nested more than {MAX_DEPTH} levels deep") from None
    except NotStrictJson:
        raise
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, too many digits
        raise NotStrictJson(f"the body is not valid JSON: {error}") from None
    _walk(document)


def _no_constant(name: str) -> Any:
    raise NotStrictJson(f"{name} is not a JSON number")


def _walk(document: Any) -> None:
    """Depth and strings, iteratively: the check itself must not recurse."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise NotStrictJson(f"JSON is nested more than {MAX_DEPTH} levels deep")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_text(key)
                stack.append((item, depth + 1))


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NotStrictJson(
            "strings must be valid Unicode; a lone surrogate escape such as \\ud800 is not"
        ) from None
