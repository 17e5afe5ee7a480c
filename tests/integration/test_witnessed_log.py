"""A log and a witness, each with its own key, over real HTTP: the worker has every new
checkpoint cosigned and serves it with the cosignature; and the attack the log exists to
expose — an operator with Redis access rewrites history, recomputes every chain hash and
the tree, and wipes the checkpoints so the log signs the new history — is caught by the
witness at the next checkpoint, which it refuses, keeps as evidence and reports."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from werkzeug.serving import make_server

from service.bootstrap import Services
from service.dashboards.projector import catch_up
from service.ledger.domain.chain import GENESIS, chain_hash, event_hash
from service.ledger.domain.cosignature import CosignatureVerifier, Cosigner
from service.ledger.domain.note import Verifier, parse
from service.ledger.signing import create_key
from service.runtime.clock import FrozenClock
from service.witness.http import create_witness_app
from service.witness.service import Alarm, Witness
from service.witness.store import WitnessStore
from tests.alerting import Tracked
from tests.integration.webhook_receiver import Receiver

ALARM_SECRET = "whsec_" + "d2l0bmVzcy1hbGFybS1zZWNyZXQtMzItYnl0ZXMhIQ=="


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(secret=ALARM_SECRET) as found:
        yield found


@pytest.fixture
def witnessed(services: Services, tmp_path: Path, receiver: Receiver) -> Iterator[Witness]:
    log_signer = create_key(services.config.signing_key_path, "tracker.example/log")
    witness = Witness(
        WitnessStore(tmp_path / "witness" / "witness.sqlite3"),
        Cosigner.generate("ombudsman.example/witness"),
        {log_signer.name: Verifier.from_vkey(log_signer.verifier_key())},
        services.clock,
        Alarm(receiver.url, ALARM_SECRET, allow_private=True),
    )
    server = make_server("127.0.0.1", 0, create_witness_app(witness), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    services.config = services.config.with_(
        witnesses=f"{witness.cosigner.verifier_key()}@{url}", checkpoint_every_events=1
    )
    yield witness
    server.shutdown()


def cosigned_sizes(services: Services, witness: Witness) -> list[int]:
    verifier = CosignatureVerifier.from_vkey(witness.cosigner.verifier_key())
    found, _ = services.store.checkpoints.page(None, 100)
    return [c.size for c in found if verifier.timestamp(parse(c.note)) is not None]


def test_every_checkpoint_is_cosigned_as_the_log_grows(
    services: Services, witnessed: Witness
) -> None:
    tracked = Tracked(services)
    catch_up(services)
    tracked.plan(services.clock.today() + timedelta(days=30))
    catch_up(services)
    assert cosigned_sizes(services, witnessed) == [3, 2]
    latest = services.store.checkpoints.latest()
    assert latest is not None and "ombudsman.example/witness" in latest.note


def rewrite_history(services: Services) -> None:
    """What an operator with Redis access can do: change the first event, recompute every
    chain hash after it (each stream's, the global one), let the tree be rebuilt, and drop
    the checkpoints the log signed, so the log itself has nothing to compare with."""
    redis, keys = services.redis, services.keys
    entries = redis.xrange(keys.log)
    previous: dict[str, str] = {}
    global_hash, rewritten, seals = GENESIS, [], {}
    for entry_id, fields in entries:
        event = orjson.loads(fields["e"])
        position = int(entry_id.split("-")[0])
        if position == 1:
            event["payload"] = {**event["payload"], "title": "Never promised anything"}
        body = {name: value for name, value in event.items() if name != "hash"}
        event["hash"] = event_hash(previous.get(event["stream"], GENESIS), body)
        previous[event["stream"]] = event["hash"]
        global_hash = chain_hash(global_hash, event["hash"])
        seals[position] = global_hash
        rewritten.append((entry_id, orjson.dumps(event).decode()))
    redis.delete(keys.log)
    for entry_id, stored in rewritten:
        redis.xadd(keys.log, {"e": stored}, id=entry_id)
    redis.hset(keys.seals, mapping=seals)
    redis.hset(keys.heads, "$sealed", f"{len(rewritten)}:{global_hash}")
    redis.delete(keys.tree, keys.checkpoints, keys.checkpoint_sizes)


def test_a_rewritten_history_is_caught_by_the_witness(
    services: Services, witnessed: Witness, receiver: Receiver
) -> None:
    tracked = Tracked(services)
    tracked.plan(services.clock.today() + timedelta(days=30))
    catch_up(services)
    assert cosigned_sizes(services, witnessed) == [3]
    held = witnessed.store.latest("tracker.example/log")
    assert held is not None and held[0].size == 3

    rewrite_history(services)
    tracked.plan(services.clock.today() + timedelta(days=31))
    clock = services.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(minutes=1))
    catch_up(services)  # the log signs the rewritten tree: its own history is gone
    forged = services.store.checkpoints.latest()
    assert forged is not None and forged.size == 4
    assert cosigned_sizes(services, witnessed) == []  # the witness would not cosign it

    evidence = witnessed.store.evidence()
    assert len(evidence) == 1 and "not consistent" in (evidence[0]["reason"] or "")
    assert evidence[0]["cosigned_note"] == held[1]
    alarm = receiver.wait_for(1)[0]
    assert alarm.verified, "the alarm is a signed Standard Webhook"
    payload = json.loads(alarm.body)
    assert payload["type"] == "witness.inconsistent_checkpoint"
    assert payload["data"]["origin"] == "tracker.example/log"
    held_after = witnessed.store.latest("tracker.example/log")
    assert held_after is not None and held_after[0].size == 3
