"""The tree head and proofs over HTTP: a client holding only what the API answered (the
events and the proofs) verifies inclusion and consistency with the RFC 9162 algorithms,
and bad parameters get a 422 that names them."""

from __future__ import annotations

import base64

import pytest
from flask.testing import FlaskClient

from service.bootstrap import Services
from service.dashboards.projector import catch_up
from service.ledger.domain import merkle
from tests.conftest import bearer
from tests.integration.api_helpers import post, seed


def b64(value: str) -> bytes:
    return base64.b64decode(value)


def test_a_client_verifies_every_event_and_the_growth_of_the_log(
    client: FlaskClient, tokens: dict[str, str], services: Services
) -> None:
    viewer = bearer(tokens["viewer"])
    assert client.get("/tree", headers=viewer).json == {
        "size": 0,
        "root": base64.b64encode(merkle.EMPTY_ROOT).decode(),
    }
    s = seed(client, tokens)
    catch_up(services)
    early = client.get("/tree", headers=viewer).json
    assert early["size"] == services.store.head_position() >= 3

    post(client, tokens["reporter_a"], f"/milestones/{s.milestone_id}/start", {})
    post(
        client,
        tokens["reporter_a"],
        f"/milestones/{s.milestone_id}/report-progress",
        {"percent": 30, "note": "pilot"},
    )
    catch_up(services)
    head = client.get("/tree", headers=viewer).json
    assert head["size"] == early["size"] + 2

    events = client.get("/events?limit=100", headers=viewer).json["events"]
    for event in events:
        assert event["inclusion_proof"] == f"/proofs/inclusion?position={event['position']}"
        answer = client.get(event["inclusion_proof"], headers=viewer)  # the event's own link
        assert answer.status_code == 200, answer.json
        proof = answer.json
        leaf = merkle.leaf_hash(bytes.fromhex(event["hash"]))  # computed by the client
        assert b64(proof["leaf_hash"]) == leaf and proof["root"] == head["root"]
        assert merkle.verify_inclusion(
            event["position"] - 1,
            head["size"],
            leaf,
            [b64(h) for h in proof["hashes"]],
            b64(head["root"]),
        )

    grown = client.get(f"/proofs/consistency?from={early['size']}", headers=viewer).json
    assert grown["old_root"] == early["root"] and grown["new_root"] == head["root"]
    assert merkle.verify_consistency(
        early["size"],
        head["size"],
        b64(early["root"]),
        b64(head["root"]),
        [b64(h) for h in grown["hashes"]],
    )
    old = client.get(f"/proofs/inclusion?position=1&size={early['size']}", headers=viewer).json
    assert old["root"] == early["root"] and old["size"] == early["size"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/proofs/inclusion?position=1&size=99", "size"),
        ("/proofs/inclusion?position=5&size=2", "position"),
        ("/proofs/inclusion?position=0", "position"),
        ("/proofs/inclusion?position=one", "position"),
        ("/proofs/inclusion", "position"),
        ("/proofs/consistency?from=3&to=2", "from"),
        ("/proofs/consistency?from=1&to=99", "to"),
        ("/proofs/consistency?from=x", "from"),
    ],
)
def test_bad_parameters_are_named(
    client: FlaskClient, tokens: dict[str, str], services: Services, query: str, field: str
) -> None:
    seed(client, tokens)
    catch_up(services)
    answer = client.get(query, headers=bearer(tokens["viewer"]))
    assert answer.status_code == 422, answer.json
    assert answer.mimetype == "application/problem+json"
    assert field in answer.json["errors"], answer.json


def test_proofs_need_a_token_unless_the_log_is_public(
    client: FlaskClient, tokens: dict[str, str], services: Services
) -> None:
    seed(client, tokens)
    catch_up(services)
    assert client.get("/tree").status_code == 401
    services.config = services.config.with_(public_read=True)
    assert client.get("/tree").status_code == 200
    assert client.get("/proofs/inclusion?position=1").status_code == 200
