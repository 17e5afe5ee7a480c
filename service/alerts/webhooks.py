"""Webhook delivery per the Standard Webhooks spec, and the guard against internal targets.

The target's host name is resolved once per attempt, every address is checked, and the
connection goes to the checked address (the Host header and TLS name stay the host
name). Checking at subscription time alone would let a DNS record that later points to
127.0.0.1 or 169.254.169.254 reach internal services ("DNS rebinding"). IPv6 forms that
carry an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo) are judged by the address they
carry, so [64:ff9b::a9fe:a9fe] is as internal as 169.254.169.254.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from standardwebhooks import Webhook

from service.alerts.deliveries import Outcome

USER_AGENT = "reform-tracker-webhooks/1"
RETRYABLE_STATUS = frozenset({408, 429})
MAX_RESPONSE_BYTES = 64 * 1024


class RefusedTarget(Exception):
    """The URL is malformed, does not resolve, or resolves to a non-public address."""


# IPv6 forms that carry an IPv4 address: a connection to one of them reaches (through a
# NAT64 gateway, a 6to4 or Teredo relay, or the host's own stack) the IPv4 address inside,
# so they are judged by that address, whatever Python's is_global says of the IPv6 form.
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: IPv4 in the last 32 bits
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: the layout is local
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # RFC 4291: deprecated, never a real host
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")  # RFC 3056: IPv4 in bits 16-48
TEREDO = ipaddress.ip_network("2001::/32")  # RFC 4380: server and (obscured) client IPv4


def refusal(address: str) -> str | None:
    """Why ``address`` is not a public target, or None if it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv4Address):
        # is_global is False for loopback, RFC 1918, link-local, CGNAT, reserved, unspecified.
        return None if ip.is_global and not ip.is_multicast else "not a public address"
    carried: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped:
        form, carried = "IPv4-mapped", [ip.ipv4_mapped]
    elif ip in NAT64_WELL_KNOWN:
        form, carried = "NAT64", [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    elif ip in NAT64_LOCAL_USE:
        return "not a public address (local-use NAT64 prefix 64:ff9b:1::/48)"
    elif ip in IPV4_COMPATIBLE:  # also :: and ::1
        deprecated = " (IPv4-compatible IPv6, deprecated)" if int(ip) > 1 else ""
        return "not a public address" + deprecated
    elif ip.sixtofour:
        form, carried = "6to4", [ip.sixtofour]
    elif ip.teredo:
        form, carried = "Teredo", list(ip.teredo)
    else:
        return None if ip.is_global and not ip.is_multicast else "not a public address"
    for inner in carried:
        if not (inner.is_global and not inner.is_multicast):
            return f"not a public address ({form} form of {inner})"
    return None


def is_public(address: str) -> bool:
    return refusal(address) is None


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
    refused = [(a, why) for a in addresses if (why := refusal(a))]
    if refused and not allow_private:
        address, why = refused[0]
        raise RefusedTarget(
            f"{parts.hostname} resolves to {address}, which is {why}; an administrator "
            "must allow private webhook targets (RT_WEBHOOK_ALLOW_PRIVATE=1)"
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


def signed_headers(secrets: Sequence[str], message_id: str, body: str) -> dict[str, str]:
    """Standard Webhooks headers, with one ``v1,`` signature per secret (space-separated,
    as the spec allows), so a receiver holding either secret of a rotation verifies."""
    # The timestamp is wall-clock time on purpose: receivers reject signatures more than
    # a few minutes away from their own clock.
    now = datetime.now(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(Webhook(s).sign(message_id, now, body) for s in secrets),
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
    url: str,
    secrets: Sequence[str],
    message_id: str,
    body: str,
    *,
    timeout: float,
    allow_private: bool,
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
        connection.request("POST", path, body.encode(), signed_headers(secrets, message_id, body))
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
