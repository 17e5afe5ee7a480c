"""No plaintext token is ever stored: scan every key and value in Redis after real use."""

from __future__ import annotations

import redis

from tests.conftest import bearer
from tests.integration.api_helpers import post, seed


def everything_stored(client: redis.Redis) -> list[bytes]:
    """Every key and value, as raw bytes (RQ keeps pickled job data, not text)."""
    found: list[bytes] = []
    for key in client.scan_iter("*"):
        found.append(key)
        kind = client.type(key)
        if kind == b"string":
            found.append(client.get(key) or b"")
        elif kind == b"hash":
            found.extend(k + b"=" + v for k, v in client.hgetall(key).items())
        elif kind == b"list":
            found.extend(client.lrange(key, 0, -1))
        elif kind == b"set":
            found.extend(client.smembers(key))
        elif kind == b"zset":
            found.extend(member for member, _ in client.zrange(key, 0, -1, withscores=True))
        elif kind == b"stream":
            found.extend(v for _, fields in client.xrange(key) for v in fields.values())
    return found


def test_tokens_are_stored_only_as_digests(client, tokens, redis_url) -> None:
    created = post(client, tokens["admin"], "/tokens", {"role": "reporter", "agency": "MoD"})
    assert created.status_code == 201
    plaintexts = [*tokens.values(), created.json["token"]]
    s = seed(client, tokens)
    post(
        client,
        tokens["reporter_a"],
        f"/milestones/{s.milestone_id}/start",
        {},
        **{"Idempotency-Key": "scan-1"},
    )
    client.get("/events", headers=bearer(created.json["token"]))
    client.get("/programmes", headers=bearer("rt_wrong-token-attempt"))
    stored = b"\n".join(everything_stored(redis.Redis.from_url(redis_url)))
    assert len(stored) > 1000  # the scan really read the store
    for token in [*plaintexts, "rt_wrong-token-attempt"]:
        assert token.removeprefix("rt_").encode() not in stored
