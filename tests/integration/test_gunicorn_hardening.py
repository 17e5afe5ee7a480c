"""The API under real gunicorn, configured as `up`, the Dockerfile and docker-compose.yml
run it: slow clients cannot stall it, and every answer, even gunicorn's own, is
problem+json."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.runtime.redis_server import free_port

BODY_TIMEOUT = 3  # RT_BODY_TIMEOUT_SECONDS for these servers
WORKERS = 2


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def problem(self) -> dict[str, object]:
        assert self.headers.get("content-type") == "application/problem+json", self
        document: dict[str, object] = json.loads(self.body)
        assert document["status"] == self.status
        return document


@pytest.fixture
def server(redis_url: str, tokens: dict[str, str], tmp_path: Path) -> Iterator[int]:
    """gunicorn with the service's own settings module, on a free port."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RT_")},
        "RT_REDIS_URL": redis_url,
        "RT_RATE_LIMIT": "",
        "RT_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        "RT_MAX_BODY_BYTES": "16384",
        "WEB_CONCURRENCY": str(WORKERS),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }
    log = tmp_path / "gunicorn.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:service.api.gunicorn_config",
            "-b",
            f"127.0.0.1:{port}",
            "service.wsgi:app",
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def exchange(port: int, raw: bytes, timeout: float = 30) -> Answer:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        return read_answer(sock)


def read_answer(sock: socket.socket) -> Answer:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed without an answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return Answer(int(lines[0].split(" ")[1]), headers, body[:length])


def trickle(sock: socket.socket, byte: bytes, stop: threading.Event) -> None:
    """Send ``byte`` every half second from a thread, until stopped or disconnected."""

    def send() -> None:
        while not stop.wait(0.5):
            try:
                sock.send(byte)
            except OSError:
                return

    threading.Thread(target=send, daemon=True).start()


def slow_post(port: int, token: str, stop: threading.Event) -> Answer:
    """POST a 1000-byte body one byte every half second, until answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(
            b"POST /programmes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + token.encode() + b"\r\nContent-Length: 1000\r\n\r\n{"
        )
        trickle(sock, b" ", stop)
        return read_answer(sock)


def test_slow_clients_do_not_stall_the_api(server: int, tokens: dict[str, str]) -> None:
    stop = threading.Event()
    answers: list[Answer] = []
    slow = [
        threading.Thread(target=lambda: answers.append(slow_post(server, tokens["overseer"], stop)))
        for _ in range(WORKERS * 2)
    ]
    try:
        for thread in slow:
            thread.start()
        time.sleep(1)  # every slow request is in, holding whatever it holds
        started = time.monotonic()
        health = exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=60)
        took = time.monotonic() - started
        assert health.status == 200
        assert took < 5, f"/healthz took {took:.1f} s behind {len(slow)} slow clients"
        for thread in slow:
            thread.join(timeout=BODY_TIMEOUT + 30)
    finally:
        stop.set()
    assert len(answers) == len(slow)
    for answer in answers:
        assert answer.status == 408, answer
        assert answer.problem()["code"] == "body-timeout"


def slow_head(port: int, stop: threading.Event) -> float:
    """Send a request head one byte every half second; the seconds until disconnected."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        trickle(sock, b"a", stop)
        while sock.recv(65536):
            pass
    return time.monotonic() - started


def test_slow_request_heads_are_cut_off(server: int) -> None:
    stop = threading.Event()
    took: list[float] = []
    slow = [
        threading.Thread(target=lambda: took.append(slow_head(server, stop)))
        for _ in range(WORKERS * 2)
    ]
    try:
        for thread in slow:
            thread.start()
        time.sleep(1)
        health = exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=60)
        assert health.status == 200
        for thread in slow:
            thread.join(timeout=BODY_TIMEOUT + 30)
    finally:
        stop.set()
    assert len(took) == len(slow), "a client trickling its headers was never disconnected"
    assert max(took) < BODY_TIMEOUT + 30


def test_gunicorn_refusals_are_problems(server: int) -> None:
    long_line = b"GET /programmes?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = exchange(server, long_line)
    assert answer.status == 414
    assert answer.problem()["code"] == "request-line-too-long"

    big_headers = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n"
    answer = exchange(server, big_headers)
    assert answer.status == 431
    assert answer.problem()["code"] == "headers-too-large"

    for malformed in (
        b"NOT A REQUEST\r\n\r\n",
        b"POST /programmes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    ):
        answer = exchange(server, malformed)
        assert answer.status == 400
        answer.problem()


def test_chunked_body_over_the_limit_is_413(server: int, tokens: dict[str, str]) -> None:
    chunk = b"x" * 8192
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
    answer = exchange(
        server,
        b"POST /programmes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + tokens["overseer"].encode() + b"\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + chunks,
    )
    assert answer.status == 413
    answer.problem()
