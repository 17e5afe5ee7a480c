"""Checkpoints over HTTP: the latest signed note as text, verified with the verifier key
the API serves and with the key file's own; the history paged; nothing before the first."""

from __future__ import annotations

from flask.testing import FlaskClient

from service.bootstrap import Services
from service.dashboards.projector import catch_up
from service.ledger.domain.checkpoint import parse_checkpoint
from service.ledger.domain.note import Verifier, open_note
from service.ledger.signing import create_key
from tests.conftest import bearer
from tests.integration.api_helpers import post, seed


def test_the_latest_checkpoint_verifies_with_the_logs_key(
    client: FlaskClient, tokens: dict[str, str], services: Services
) -> None:
    viewer = bearer(tokens["viewer"])
    assert client.get("/checkpoint", headers=viewer).status_code == 404
    assert client.get("/checkpoint/verifier-key", headers=viewer).status_code == 404
    signer = create_key(services.config.signing_key_path, "tracker.example/log")

    s = seed(client, tokens)
    catch_up(services)
    answer = client.get("/checkpoint", headers=viewer)
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    vkey = client.get("/checkpoint/verifier-key", headers=viewer).get_data(as_text=True)
    assert vkey.strip() == signer.verifier_key()
    note = open_note(answer.get_data(as_text=True), [Verifier.from_vkey(vkey)])
    checkpoint = parse_checkpoint(note.text)
    tree = client.get("/tree", headers=viewer).json
    assert checkpoint.size == tree["size"] == services.store.head_position()

    post(client, tokens["reporter_a"], f"/milestones/{s.milestone_id}/start", {})
    services.config = services.config.with_(checkpoint_every_events=1)
    catch_up(services)
    history = client.get("/checkpoints?limit=1", headers=viewer).json
    assert [c["size"] for c in history["checkpoints"]] == [checkpoint.size + 1]
    older = client.get(f"/checkpoints?before={history['next_cursor']}", headers=viewer).json
    assert [c["size"] for c in older["checkpoints"]] == [checkpoint.size]
    assert older["checkpoints"][0]["note"] == answer.get_data(as_text=True)
    assert older["next_cursor"] is None


def test_checkpoints_are_public_when_the_log_is(
    client: FlaskClient, tokens: dict[str, str], services: Services
) -> None:
    create_key(services.config.signing_key_path, "tracker.example/log")
    seed(client, tokens)
    catch_up(services)
    assert client.get("/checkpoint").status_code == 401
    services.config = services.config.with_(public_read=True)
    assert client.get("/checkpoint").status_code == 200
    assert client.get("/checkpoints").status_code == 200
