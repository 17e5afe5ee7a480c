"""When Redis's reply to an append is lost, the API says the outcome is unknown.

The append may well be committed (here it always is: a proxy lets the command through
and cuts the connection instead of passing the reply on). Telling the client that
nothing was written would invite a retry that records the event twice; instead the 503
says the outcome is unknown and that a retry with the same Idempotency-Key is safe, and
such a retry appends nothing more. Without a key the 503 warns that a plain retry may
record the change twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from service.api.app import create_app
from service.bootstrap import Services, bootstrap
from service.ledger.domain.chain import GENESIS, Actor
from service.ledger.eventstore import EventStore
from service.ledger.keys import Keys
from service.runtime.clock import FrozenClock, SystemClock
from service.runtime.config import Config
from service.runtime.redis_server import RedisServer, free_port
from service.tracking.domain import events as ev
from tests.faults.reply_dropper import ReplyDropper

BODY = {"title": "Army reform 2026", "lead_agency": "Oversight Office"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    started = RedisServer(tmp_path / "redis").start()
    yield started
    started.stop()


@pytest.fixture
def proxy(server: RedisServer) -> Iterator[ReplyDropper]:
    started = ReplyDropper(server.port).start()
    yield started
    started.stop()


@pytest.fixture
def api(proxy: ReplyDropper, clock: FrozenClock) -> tuple[Services, Any, dict[str, str]]:
    url = f"redis://127.0.0.1:{proxy.port}/0"
    services = bootstrap(Config(redis_url=url, log_level="WARNING"), clock=clock)
    client = create_app(services=services).test_client()
    headers = {"Authorization": f"Bearer {services.tokens.create('overseer', None)[0]}"}
    # A first append loads the script, so that the lost ones are really executed.
    assert client.post("/programmes", json=BODY, headers=headers).status_code == 201
    return services, client, headers


def _log_length(server: RedisServer) -> int:
    direct = redis.Redis.from_url(server.url, decode_responses=True)
    store = EventStore(direct, SystemClock(), Keys("rt"))
    assert store.verify().ok
    length = store.head_position()
    direct.close()
    return length


def test_a_lost_reply_is_an_unknown_outcome_and_a_keyed_retry_appends_once(
    server: RedisServer, proxy: ReplyDropper, api: tuple[Services, Any, dict[str, str]]
) -> None:
    _, client, headers = api
    keyed = {**headers, "Idempotency-Key": "create-army-reform"}
    before = _log_length(server)

    proxy.dropping.set()
    lost = client.post("/programmes", json=BODY, headers=keyed)
    proxy.dropping.clear()
    assert lost.status_code == 503, lost.json
    assert lost.content_type == "application/problem+json" and lost.headers["Retry-After"]
    assert lost.json["code"] == "store-outcome-unknown"
    detail = lost.json["detail"]
    assert "may or may not have been recorded" in detail
    assert "same Idempotency-Key is safe" in detail
    assert "nothing was written" not in detail
    assert proxy.dropped >= 1
    assert _log_length(server) == before + 1  # committed, though nobody was told

    retried = client.post("/programmes", json=BODY, headers=keyed)
    assert retried.status_code == 201, retried.json
    assert _log_length(server) == before + 1
    listed = client.get("/programmes", headers=headers).json
    assert retried.json["programme_id"] in {item["programme_id"] for item in listed}


def test_without_a_key_the_client_is_warned_that_a_plain_retry_may_duplicate(
    server: RedisServer, proxy: ReplyDropper, api: tuple[Services, Any, dict[str, str]]
) -> None:
    _, client, headers = api
    before = _log_length(server)

    proxy.dropping.set()
    lost = client.post("/programmes", json=BODY, headers=headers)
    proxy.dropping.clear()
    assert lost.status_code == 503, lost.json
    assert lost.json["code"] == "store-outcome-unknown"
    assert "no Idempotency-Key" in lost.json["detail"]
    assert "may record it twice" in lost.json["detail"]
    assert proxy.dropped >= 1
    assert _log_length(server) == before + 1


def test_a_refused_connection_says_nothing_was_written(clock: FrozenClock) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    services = bootstrap(Config(redis_url=url, log_level="WARNING"), clock=clock)
    app = create_app(services=services)
    with app.test_request_context("/programmes", method="POST"):
        actor = Actor(token_id="test", role="admin")
        with pytest.raises(redis.ConnectionError) as refused:
            services.store.append(
                "programme-x", [ev.CommentAdded("x")], expected_version=0, actor=actor
            )
        response = app.handle_user_exception(refused.value)
    assert response.status_code == 503
    assert response.json["code"] == "store-unavailable"
    assert "nothing was written" in response.json["detail"]


def test_an_append_sent_twice_is_committed_once(
    store: EventStore, system_actor: Actor, redis_client: redis.Redis
) -> None:
    """What makes the client's resends safe: the script knows its own append."""
    drafts = store._record(
        "milestone-1", [ev.CommentAdded("once")], 0, GENESIS, system_actor, None, None
    )
    first = store.call_append_script(drafts, "")
    again = store.call_append_script(drafts, "")
    assert list(first[:2]) == list(again[:2]) == ["ok", "1"]
    assert redis_client.xlen(store.keys.log) == 1
    assert redis_client.xlen(store.keys.stream("milestone-1")) == 1
    assert store.head_position() == 1 and store.verify().ok
