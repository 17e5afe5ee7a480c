"""RT_PAGE_SIZE_MAX bounds ?limit= on every paged endpoint, and the OpenAPI document says
the bound the deployment enforces."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service.api.app import create_app
from service.bootstrap import bootstrap
from service.runtime.clock import FrozenClock
from service.runtime.config import Config
from tests.conftest import bearer

SMALL = 5
ANY_ID = str(uuid.uuid4())
PAGED = [
    ("/events", "viewer"),
    (f"/programmes/{ANY_ID}/events", "viewer"),
    (f"/initiatives/{ANY_ID}/events", "viewer"),
    (f"/milestones/{ANY_ID}/events", "viewer"),
    ("/alerts", "viewer"),
    ("/checkpoints", "viewer"),
    (f"/subscriptions/{ANY_ID}/deliveries", "admin"),
]


def body(response: TestResponse) -> Any:
    return orjson.loads(response.data)


@pytest.fixture
def config(config: Config) -> Config:
    return config.with_(page_size_max=SMALL)


@pytest.mark.parametrize(("path", "persona"), PAGED)
def test_a_page_above_the_configured_maximum_is_refused(
    client: FlaskClient, tokens: dict[str, str], path: str, persona: str
) -> None:
    response = client.get(f"{path}?limit={SMALL + 1}", headers=bearer(tokens[persona]))
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert body(response)["errors"]["limit"] == [
        f"Must be greater than or equal to 1 and less than or equal to {SMALL}."
    ]


def test_a_page_at_the_configured_maximum_is_served(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    created = client.post(
        "/programmes",
        json={"title": "Army reform 2026", "lead_agency": "PGO"},
        headers=bearer(tokens["overseer"]),
    )
    assert created.status_code == 201
    viewer = bearer(tokens["viewer"])
    assert client.get(f"/events?limit={SMALL}", headers=viewer).status_code == 200
    events = client.get(
        f"/programmes/{body(created)['programme_id']}/events?limit={SMALL}", headers=viewer
    )
    assert events.status_code == 200 and len(body(events)["events"]) == 1
    assert client.get(f"/alerts?limit={SMALL}", headers=viewer).status_code == 200


def _documented_limits(app: Flask) -> dict[str, dict[str, int]]:
    document = body(app.test_client().get("/openapi.json"))
    return {
        path: parameter["schema"]
        for path, operations in document["paths"].items()
        for parameter in operations.get("get", {}).get("parameters", [])
        if parameter["name"] == "limit"
    }


def test_the_document_states_the_configured_maximum(app: Flask) -> None:
    limits = _documented_limits(app)
    assert len(limits) == len(PAGED)
    assert all(schema["maximum"] == SMALL and schema["minimum"] == 1 for schema in limits.values())


def test_a_larger_maximum_serves_larger_pages_but_deliveries_stay_small(
    config: Config, redis_client: redis.Redis, clock: FrozenClock
) -> None:
    larger = bootstrap(config.with_(page_size_max=1000), clock=clock, client=redis_client)
    app = create_app(services=larger)
    viewer = bearer(larger.tokens.create("viewer", None)[0])
    assert app.test_client().get("/events?limit=1000", headers=viewer).status_code == 200
    limits = _documented_limits(app)
    deliveries = limits.pop("/subscriptions/{subscription_id}/deliveries")
    assert deliveries["maximum"] == 200
    assert {schema["maximum"] for schema in limits.values()} == {1000}
