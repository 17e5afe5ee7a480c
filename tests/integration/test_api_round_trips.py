"""A command request fetches the caller's token and the milestone's newest events in one
round trip, and still answers 401 before it answers 404."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from service.bootstrap import Services
from tests.integration.api_helpers import post, seed

PROGRESS = {"percent": 10, "note": "first unit equipped"}


def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every request any Redis connection sends from now on (a pipeline is one)."""
    sent: list[bytes] = []
    send = redis.connection.Connection.send_packed_command

    def counting(
        self: redis.connection.Connection, command: Any, check_health: bool = True
    ) -> None:
        chunks = [command] if isinstance(command, (bytes, str)) else command
        sent.append(b"".join(c if isinstance(c, bytes) else str(c).encode() for c in chunks))
        send(self, command, check_health)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counting)
    return sent


def test_a_command_costs_three_round_trips(
    client: FlaskClient,
    tokens: dict[str, str],
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The durability guard re-reads the configuration at most once a second, not per
    # command: keep its verdict for the test, however slowly the machine runs it.
    assert services.store.guard is not None
    monkeypatch.setattr(services.store.guard, "max_age", float("inf"))
    s = seed(client, tokens)
    path = f"/milestones/{s.milestone_id}/"
    # The first command queues the projector; the next ones find it queued already.
    assert post(client, tokens["reporter_a"], path + "start", {"note": ""}).status_code == 200
    sent = round_trips(monkeypatch)
    done = post(client, tokens["reporter_a"], path + "report-progress", PROGRESS)
    assert done.status_code == 200, done.json
    rate_limit, reads, append = sent
    assert b"LIMITER" in rate_limit.upper()
    assert b"HGET" in reads and b"XRANGE" in reads  # the token and the newest events
    assert b"EVALSHA" in append and b"XRANGE" not in append


@pytest.mark.parametrize("known", [True, False])
def test_a_bad_token_gets_401_whether_or_not_the_milestone_exists(
    client: FlaskClient, tokens: dict[str, str], services: Services, known: bool
) -> None:
    s = seed(client, tokens)
    milestone_id = s.milestone_id if known else str(uuid.uuid4())
    before = services.store.head_position()
    refused = post(client, "rt_not-a-token", f"/milestones/{milestone_id}/start", {"note": ""})
    assert refused.status_code == 401
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert services.store.head_position() == before


def test_a_revoked_token_gets_401_and_appends_nothing(
    client: FlaskClient, tokens: dict[str, str], services: Services
) -> None:
    s = seed(client, tokens)
    path = f"/milestones/{s.milestone_id}/"
    assert post(client, tokens["reporter_a"], path + "start", {"note": ""}).status_code == 200
    reporter = services.tokens.authenticate(tokens["reporter_a"])
    assert reporter is not None
    services.tokens.revoke(reporter.id)
    before = services.store.read_stream(f"milestone-{s.milestone_id}")
    assert post(client, tokens["reporter_a"], path + "report-progress", PROGRESS).status_code == 401
    assert services.store.read_stream(f"milestone-{s.milestone_id}") == before


def test_a_valid_token_gets_404_for_an_unknown_milestone(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    missing = post(client, tokens["reporter_a"], f"/milestones/{uuid.uuid4()}/start", {"note": ""})
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
