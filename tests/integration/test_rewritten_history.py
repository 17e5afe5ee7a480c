"""The attack a transparency log exists for: an operator with Redis access rewrites the
stored history from position k on and recomputes every chain hash, the seals and the
Merkle tree, so the live log verifies. An earlier signed checkpoint, kept offline, still
catches it: an export no longer matches it (and, beside an earlier export, names k), the
rewritten event cannot be proven against it, and the log refuses to sign over it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from service.bootstrap import Services
from service.cli import main
from service.dashboards.projector import catch_up
from service.ledger.domain.chain import GENESIS, RecordedEvent, event_hash
from service.ledger.exporting import import_log, read_export
from service.ledger.signing import create_key
from tests.conftest import bearer
from tests.integration.api_helpers import post, seed

ORIGIN = "tracker.example/log"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rewritten(events: list[RecordedEvent], k: int, payload: dict[str, Any]) -> list[RecordedEvent]:
    """The log with event k's payload replaced and every stream hash from there on
    recomputed, as the append would have computed them; the sealer redoes the rest."""
    heads: dict[str, str] = {}
    out = []
    for event in events:
        changed = dataclasses.replace(event, payload=payload) if event.position == k else event
        digest = event_hash(heads.get(event.stream, GENESIS), changed.body())
        heads[event.stream] = digest
        out.append(dataclasses.replace(changed, hash=digest, global_hash=None))
    return out


def rewrite_store(services: Services, client: redis.Redis, k: int, payload: dict[str, Any]) -> None:
    """Replace the whole log keyspace (keeping the signed checkpoints, which the
    operator cannot re-sign without the key) with the rewritten history, then let the
    worker seal it and grow the tree from nothing."""
    events = rewritten(list(services.store.iter_log()), k, payload)
    keys = services.keys
    kept = {keys.checkpoints, keys.checkpoint_sizes, keys.checkpoint_vkey}
    pattern = keys.log.rsplit(":", 1)[0] + ":*"  # every key under the log's hash tag...
    others = (keys.read_model(""), keys.admin(""))  # ...but read models and tokens
    doomed = [
        key
        for key in client.scan_iter(match=pattern)
        if key not in kept and not key.startswith(others)
    ]
    assert keys.tree in doomed and keys.seals in doomed
    client.delete(*doomed)
    import_log(services.store, events)


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_a_recomputed_history_fails_against_an_earlier_checkpoint(
    client: FlaskClient,
    tokens: dict[str, str],
    services: Services,
    redis_client: redis.Redis,
    redis_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    viewer = bearer(tokens["viewer"])
    vkey = create_key(services.config.signing_key_path, ORIGIN).verifier_key()
    s = seed(client, tokens)
    reporter, milestone = tokens["reporter_a"], f"/milestones/{s.milestone_id}"
    assert post(client, reporter, f"{milestone}/start", {}).status_code == 200
    for percent in (20, 45, 70):
        body = {"percent": percent, "note": "cameras issued"}
        assert post(client, reporter, f"{milestone}/report-progress", body).status_code == 200
    catch_up(services)
    checkpoint = write(tmp_path / "cp.txt", client.get("/checkpoint", headers=viewer).text)
    signed = services.store.checkpoints.latest()
    assert signed is not None
    size = signed.size
    assert size == services.store.head_position() == 7
    page = client.get(f"{milestone}/events", headers=viewer).json
    target = next(e for e in page["events"] if e["payload"].get("percent") == 45)
    k = target["position"]
    assert 1 < k < size
    original_event = write(tmp_path / "original-event.json", page)
    original_proof = write(
        tmp_path / "original-proof.json",
        client.get(f"/proofs/inclusion?position={k}&size={size}", headers=viewer).json,
    )
    earlier = tmp_path / "earlier.jsonl"
    assert cli(capsys, "export", "--redis-url", redis_url, "--output", str(earlier))[0] == 0

    # The log grows; a later export still matches the earlier checkpoint.
    assert post(client, reporter, f"{milestone}/report-complete", {}).status_code == 200
    catch_up(services)
    later = tmp_path / "later.jsonl"
    assert cli(capsys, "export", "--redis-url", redis_url, "--output", str(later))[0] == 0
    anchored = ["--checkpoint", str(checkpoint), "--key", vkey]
    code, out, _ = cli(capsys, "verify", "--file", str(later), *anchored)
    assert code == 0 and f"OK: the first {size} events have the root" in out, out
    code, out, _ = cli(
        capsys, "prove", "--event", str(original_event), "--position", str(k),
        "--proof", str(original_proof), *anchored,
    )  # fmt: skip
    assert code == 0 and f"is at position {k} of the {size} events" in out, out

    # The attack: progress 45 % becomes 90 %, every hash after it recomputed.
    forged = {**target["payload"], "percent": 90}
    rewrite_store(services, redis_client, k, forged)
    services.config = services.config.with_(checkpoint_every_events=1)
    catch_up(services)
    assert services.store.tree.size() == services.store.head_position() == size + 1
    code, out, _ = cli(capsys, "verify", "--redis-url", redis_url)
    assert code == 0 and "every chain is intact" in out, out  # the live log looks fine

    # ... but the log will not sign a checkpoint over it,
    assert services.store.checkpoints.latest() == signed
    refusal = redis_client.get(services.keys.checkpoint_refusal)
    assert refusal and f"not consistent with the checkpoint of {size} events" in str(refusal)

    # ... an export of it fails against the earlier checkpoint, naming k beside the
    # earlier export and plainly without one,
    rewritten_export = tmp_path / "rewritten.jsonl"
    code, _, _ = cli(capsys, "export", "--redis-url", redis_url, "--output", str(rewritten_export))
    assert code == 0
    assert [e.payload.get("percent") for e in read_export(rewritten_export)].count(90) == 1
    code, out, _ = cli(capsys, "verify", "--file", str(rewritten_export))
    assert code == 0, out  # its chains alone are intact
    code, out, _ = cli(capsys, "verify", "--file", str(rewritten_export), *anchored)
    assert code == 1 and f"MISMATCH against the checkpoint of {size} events" in out, out
    code, out, _ = cli(
        capsys, "verify", "--file", str(rewritten_export), *anchored,
        "--earlier", str(earlier), "--json",
    )  # fmt: skip
    report = json.loads(out)
    assert code == 1 and report["checkpoint"]["matches"] is False
    assert report["checkpoint"]["first_different_position"] == k

    # ... and the rewritten event cannot be proven against it: not with the proof the
    # rewritten tree gives, nor with the proof kept from before.
    event = write(tmp_path / "event.json", client.get(f"{milestone}/events", headers=viewer).json)
    proof = write(
        tmp_path / "proof.json",
        client.get(f"/proofs/inclusion?position={k}&size={size}", headers=viewer).json,
    )
    for kept, why in (
        (proof, "does not lead to the checkpoint's root"),
        (original_proof, f"the proof is for another event at position {k}"),
    ):
        code, out, err = cli(
            capsys, "prove", "--event", str(event), "--position", str(k),
            "--proof", str(kept), *anchored,
        )  # fmt: skip
        assert code == 1 and why in err and not out, out + err
