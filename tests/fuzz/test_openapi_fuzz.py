"""Fuzz every operation from the service's own OpenAPI document (schemathesis, all checks).

Each operation gets its own hypothesis run against the in-process WSGI app, which talks
to the real redis-server of the test session. Generated requests carry an overseer
token; a seeded programme/initiative/milestone gives path parameters something to hit.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from service.runtime.config import Config
from tests.conftest import bearer
from tests.integration.api_helpers import seed

MAX_EXAMPLES = 30
# Whether a tree size or position exists depends on how long the log is, which no schema
# can say: a schema-valid size beyond the tree is refused with 422 naming the parameter
# (tests/integration/test_api_proofs.py), and every other check still runs. Likewise
# whether a bulk report's rows hold depends on the milestones they name and their states
# (tests/integration/test_api_imports.py).
STATEFUL_BOUNDS = ("/proofs/", "/imports")


@pytest.fixture
def config(config: Config) -> Config:
    # One token sends every generated request, well over a minute's budget across all
    # routes; the limiter stays in the path, with room for the whole run.
    return config.with_(rate_limit="1000000/minute")


def operations(app: Flask) -> list[schemathesis.Case]:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_conforms(app: Flask, client, tokens: dict[str, str]) -> None:
    seed(client, tokens)
    headers = bearer(tokens["overseer"])
    found = operations(app)
    assert len(found) >= 20
    failures: list[str] = []
    for operation in found:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            excluded = (
                [positive_data_acceptance]
                if case.operation.path.startswith(STATEFUL_BOUNDS)
                else []
            )
            case.call_and_validate(headers=headers, excluded_checks=excluded)

        try:
            run()
        except Exception as error:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label}: {error}")
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)
    # Whatever the fuzzer did, the log it left behind still verifies.
    report = client.get("/verify", headers=headers).json
    assert report["ok"], report
