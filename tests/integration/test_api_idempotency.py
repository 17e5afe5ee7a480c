"""A retried request with the same Idempotency-Key appends exactly one event."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import bearer
from tests.integration.api_helpers import log_length, post, seed


def test_retry_returns_the_original_result(client: FlaskClient, tokens: dict[str, str]) -> None:
    s = seed(client, tokens)
    path = f"/milestones/{s.milestone_id}/start"
    first = post(client, tokens["reporter_a"], path, {"note": "go"}, **{"Idempotency-Key": "k1"})
    second = post(client, tokens["reporter_a"], path, {"note": "go"}, **{"Idempotency-Key": "k1"})
    assert first.status_code == second.status_code == 200
    assert first.json == second.json
    assert log_length(client, tokens["viewer"]) == 4


def test_same_key_different_body_is_refused(client, tokens) -> None:
    s = seed(client, tokens)
    path = f"/milestones/{s.milestone_id}/comment"
    post(client, tokens["reporter_a"], path, {"text": "a"}, **{"Idempotency-Key": "k2"})
    other = post(client, tokens["reporter_a"], path, {"text": "b"}, **{"Idempotency-Key": "k2"})
    assert other.status_code == 422 and other.json["code"] == "idempotency-key-reused"
    assert log_length(client, tokens["viewer"]) == 4


def test_creation_is_idempotent(client, tokens) -> None:
    body = {"title": "Army reform 2026", "lead_agency": "Oversight Office"}
    headers = {"Idempotency-Key": "create-1"}
    first = post(client, tokens["overseer"], "/programmes", body, **headers)
    second = post(client, tokens["overseer"], "/programmes", body, **headers)
    assert first.status_code == second.status_code == 201
    assert first.json["programme_id"] == second.json["programme_id"]
    assert len(client.get("/programmes", headers=bearer(tokens["viewer"])).json) == 1


def test_keys_are_scoped_to_the_token(client, tokens) -> None:
    body = {"title": "Army reform 2026", "lead_agency": "Oversight Office"}
    post(client, tokens["overseer"], "/programmes", body, **{"Idempotency-Key": "same"})
    post(client, tokens["admin"], "/programmes", body, **{"Idempotency-Key": "same"})
    assert len(client.get("/programmes", headers=bearer(tokens["viewer"])).json) == 2


def test_concurrent_retries_append_once(app: Flask, client, tokens) -> None:
    s = seed(client, tokens)
    path = f"/milestones/{s.milestone_id}/comment"

    def send(_: int) -> tuple[int, dict]:
        response = app.test_client().post(
            path,
            json={"text": "once"},
            headers=bearer(tokens["reporter_a"], **{"Idempotency-Key": "burst"}),
        )
        return response.status_code, response.json

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(send, range(10)))
    assert {status for status, _ in results} == {200}
    assert len({str(body["events"]) for _, body in results}) == 1
    assert log_length(client, tokens["viewer"]) == 4


def test_concurrent_retries_with_if_match_append_once(app: Flask, client, tokens) -> None:
    s = seed(client, tokens)
    path = f"/milestones/{s.milestone_id}/comment"

    def send(_: int) -> int:
        return (
            app.test_client()
            .post(
                path,
                json={"text": "once"},
                headers=bearer(
                    tokens["reporter_a"], **{"Idempotency-Key": "pinned", "If-Match": '"1"'}
                ),
            )
            .status_code
        )

    with ThreadPoolExecutor(10) as pool:
        assert set(pool.map(send, range(10))) == {200}
    assert log_length(client, tokens["viewer"]) == 4


def test_cursor_beyond_any_position_is_a_validation_error(client, tokens) -> None:
    response = client.get(f"/events?after={2**64}", headers=bearer(tokens["viewer"]))
    assert response.status_code == 422
    assert client.get(f"/events?after={2**53}", headers=bearer(tokens["viewer"])).json == {
        "events": [],
        "next_cursor": None,
    }
