"""Bodies and headers built to break the parser answer a 4xx problem and change nothing,
on every endpoint that takes a body; and authentication is checked before the body."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.conftest import bearer
from tests.integration.api_helpers import Seed, log_length, seed

DEEP = 1000
HUGE = "1" * 4301  # one digit over the limit of int() on decimal strings


def _nested(depth: int, inner: str) -> str:
    return "[" * depth + inner + "]" * depth


# Raw JSON text, as a hostile client would send it: a string field's value is replaced.
BODIES: dict[str, Callable[[str], str]] = {
    "nested 1000 deep": lambda field: f'{{"{field}": {_nested(DEEP, "1")}}}',
    "nested 1000 deep objects": lambda field: '{"a": ' * DEEP + '"x"' + "}" * DEEP,
    "lone high surrogate": lambda field: f'{{"{field}": "plan \\ud800 b"}}',
    "lone low surrogate": lambda field: f'{{"{field}": "\\udfff"}}',
    "lone surrogate in a key": lambda field: f'{{"{field}": "x", "\\ud800": 1}}',
    "integer over 4300 digits": lambda field: f'{{"{field}": {HUGE}}}',
    "integer over 4300 digits nested": lambda field: f'{{"{field}": {_nested(20, HUGE)}}}',
    "NaN": lambda field: f'{{"{field}": NaN}}',
}

# (token, path, a string field of that endpoint's body)
ENDPOINTS: dict[str, tuple[str, Callable[[Seed], str], str]] = {
    "comment": ("reporter_a", lambda s: f"/milestones/{s.milestone_id}/comment", "text"),
    "report progress": (
        "reporter_a",
        lambda s: f"/milestones/{s.milestone_id}/report-progress",
        "note",
    ),
    "create programme": ("overseer", lambda s: "/programmes", "title"),
    "plan milestone": (
        "reporter_a",
        lambda s: f"/initiatives/{s.initiative_id}/milestones",
        "title",
    ),
    "create token": ("admin", lambda s: "/tokens", "label"),
    "subscribe": ("admin", lambda s: "/subscriptions", "description"),
}


@pytest.fixture
def seeded(client: FlaskClient, tokens: dict[str, str]) -> Seed:
    return seed(client, tokens)


def _unchanged(client: FlaskClient, tokens: dict[str, str], seeded: Seed) -> Callable[[], None]:
    viewer = bearer(tokens["viewer"])
    before = log_length(client, tokens["viewer"])
    state = client.get(f"/milestones/{seeded.milestone_id}", headers=viewer).json
    tokens_before = client.get("/tokens", headers=bearer(tokens["admin"])).json

    def check() -> None:
        assert log_length(client, tokens["viewer"]) == before
        assert client.get(f"/milestones/{seeded.milestone_id}", headers=viewer).json == state
        assert client.get("/tokens", headers=bearer(tokens["admin"])).json == tokens_before

    return check


def _assert_problem(response, statuses: range = range(400, 500)) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code in statuses, response.get_data(as_text=True)[:500]
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == response.status_code


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("body", BODIES)
def test_hostile_body_is_a_4xx_problem_and_changes_nothing(
    client: FlaskClient, tokens: dict[str, str], seeded: Seed, body: str, endpoint: str
) -> None:
    token, path, field = ENDPOINTS[endpoint]
    unchanged = _unchanged(client, tokens, seeded)
    response = client.post(
        path(seeded),
        data=BODIES[body](field),
        headers=bearer(tokens[token], **{"Content-Type": "application/json"}),
    )
    _assert_problem(response)
    unchanged()


@pytest.mark.parametrize(
    "value",
    [f'"{HUGE}"', "9" * 5000, f'W/"{"1" * 20}"', '"\u00b2"'],
    ids=["quoted 4301 digits", "bare 5000 digits", "weak 20 digits", "superscript two"],
)
@pytest.mark.parametrize("verb", ["start", "comment"])
def test_if_match_that_is_no_version_is_412(
    client: FlaskClient, tokens: dict[str, str], seeded: Seed, value: str, verb: str
) -> None:
    unchanged = _unchanged(client, tokens, seeded)
    body = {"text": "note"} if verb == "comment" else {}
    response = client.post(
        f"/milestones/{seeded.milestone_id}/{verb}",
        json=body,
        headers=bearer(tokens["reporter_a"], **{"If-Match": value}),
    )
    _assert_problem(response, range(412, 413))
    unchanged()


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer rt_not_a_token"}, {"Authorization": "Basic eDp5"}],
    ids=["no token", "unknown token", "other scheme"],
)
@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        ("/programmes", '{"title": 5, "colour": "red"}', "application/json"),
        ("/tokens", '{"role": "emperor"}', "application/json"),
        ("/programmes", "{not json", "application/json"),
        ("/programmes", '{"title": "\\ud800"}', "application/json"),
        ("/programmes", "title=x", "application/x-www-form-urlencoded"),
        ("/programmes", '{"title": "' + "x" * 20_000 + '"}', "application/json"),
    ],
    ids=["unknown field", "bad enum", "malformed", "surrogate", "form data", "too large"],
)
def test_authentication_comes_before_the_body(
    client: FlaskClient,
    tokens: dict[str, str],
    seeded: Seed,
    headers: dict[str, str],
    path: str,
    body: str,
    content_type: str,
) -> None:
    unchanged = _unchanged(client, tokens, seeded)
    response = client.post(path, data=body, headers={**headers, "Content-Type": content_type})
    _assert_problem(response, range(401, 402))
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    unchanged()
