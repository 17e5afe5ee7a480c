"""Webhook delivery per the Standard Webhooks spec, and the guard against internal targets.

The target's host name is resolved once per attempt, every address is checked, and the
connection goes to the checked address (the Host header and TLS name stay the host
name). Checking at subscription time alone would let a DNS record that later points to
127.0.0.1 or 169.254.169.254 reach internal services ("DNS rebinding").
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from standardwebhooks import Webhook

from service.alerts.deliveries import Outcome

USER_AGENT = "reform-tracker-webhooks/1"
RETRYABLE_STATUS = frozenset({408, 429})
MAX_RESPONSE_BYTES = 64 * 1024


class RefusedTarget(Exception):
    """The URL is malformed, does not resolve, or resolves to a non-public address."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    # is_global is False for loopback, RFC 1918, link-local, CGNAT, reserved, unspecified.
    return ip.is_global and not ip.is_multicast


def resolve_target(url: str, allow_private: bool) -> list[str]:
    """The addresses a webhook URL may be sent to; RefusedTarget if none may."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget("the URL must be http(s)://host/...")
    if parts.username or parts.password:
        raise RefusedTarget("credentials in the URL are not accepted; use the signature")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise RefusedTarget(f"{parts.hostname} does not resolve: {error}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refused = [a for a in addresses if not is_public(a)]
    if refused and not allow_private:
        raise RefusedTarget(
            f"{parts.hostname} resolves to {refused[0]}, which is not a public address; "
            "an administrator must allow private webhook targets"
        )
    return addresses


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def signed_headers(secret: str, message_id: str, body: str) -> dict[str, str]:
    # The timestamp is wall-clock time on purpose: receivers reject signatures more than
    # a few minutes away from their own clock.
    now = datetime.now(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def classify(status: int) -> str:
    if 200 <= status < 300:
        return "delivered"
    if status == 410:
        return "gone"
    if status >= 500 or status in RETRYABLE_STATUS:
        return "retry"
    return "failed"


def post(
    url: str, secret: str, message_id: str, body: str, *, timeout: float, allow_private: bool
) -> Outcome:
    started = time.perf_counter()

    def took() -> float:
        return round((time.perf_counter() - started) * 1000, 1)

    try:
        address = resolve_target(url, allow_private)[0]
    except RefusedTarget as refused:
        return Outcome("failed", error=f"refused target: {refused}", duration_ms=took())
    parts = urlsplit(url)
    https = parts.scheme == "https"
    connection_class = _PinnedHTTPS if https else _PinnedHTTP
    port = parts.port or (443 if https else 80)
    connection = connection_class(parts.hostname or "", port, address, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body.encode(), signed_headers(secret, message_id, body))
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        return Outcome("retry", error=f"{type(error).__name__}: {error}", duration_ms=took())
    finally:
        connection.close()
    return Outcome(
        classify(status),
        status_code=status,
        duration_ms=took(),
        error=None if 200 <= status < 300 else f"HTTP {status}",
    )
