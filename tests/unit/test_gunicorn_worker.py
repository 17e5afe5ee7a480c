"""gunicorn's own error answers leave the worker as problem+json, with gunicorn's status."""

from __future__ import annotations

import json
import os
import socket
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.http.errors import InvalidRequestLine, LimitRequestHeaders

from service.api import gunicorn_config


@pytest.fixture
def worker() -> Any:
    """A worker of the class the service's gunicorn settings name."""
    cfg = Config()
    cfg.set("worker_class", getattr(gunicorn_config, "worker_class", "sync"))
    return cfg.worker_class(0, os.getppid(), [], None, 30, cfg, Logger(cfg))


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (RuntimeError("boom"), 500, None),
        (LimitRequestHeaders("Request Header Fields Too Large"), 431, "headers-too-large"),
        (InvalidRequestLine("x"), 400, None),
    ],
    ids=["crash outside the application", "headers too large", "invalid request line"],
)
def test_gunicorn_error_is_a_problem(
    worker: Any, error: Exception, status: int, code: str | None
) -> None:
    server, client = socket.socketpair()
    with server, client:
        worker.handle_error(None, server, ("127.0.0.1", 1), error)
        server.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode())
    assert b"Content-Type: application/problem+json" in head
    assert answer.count(b"HTTP/1.1") == 1  # gunicorn's own HTML page never reached the client
    problem = json.loads(body)
    assert problem["status"] == status and problem["title"]
    assert problem.get("code") == code
    if status == 500:
        assert "detail" not in problem  # nothing about the crash leaks out
