"""Offline checks against a signed checkpoint (service/ledger/offline.py) through the CLI:
an export's tree at the checkpoint's size, and one event's inclusion from three files.
Each refusal names what failed."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.bootstrap import Services
from service.cli import main
from service.dashboards.projector import catch_up
from service.ledger.domain import merkle
from service.ledger.exporting import export
from service.ledger.offline import tree_root
from service.ledger.signing import create_key
from tests.conftest import bearer
from tests.integration.api_helpers import post, seed

ORIGIN = "tracker.example/log"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_streamed_root_is_rfc_9162s_at_every_size() -> None:
    rng = random.Random(12)
    leaves = [merkle.leaf_hash(rng.randbytes(32)) for _ in range(70)]
    nodes = merkle.grown(0, lambda level, index: b"", leaves)
    for size in range(71):
        expected = merkle.root(size, lambda level, index: nodes[(level, index)])
        assert tree_root(leaves[:size]) == (size, expected), size


class Signed:
    """A log of six events with a checkpoint over the first five, its files on disk."""

    def __init__(self, client: FlaskClient, tokens: dict[str, str], services: Services, tmp: Path):
        self.vkey = create_key(services.config.signing_key_path, ORIGIN).verifier_key()
        self.viewer = bearer(tokens["viewer"])
        self.milestone = f"/milestones/{seed(client, tokens).milestone_id}"
        for verb, body in (("start", {}), ("report-progress", {"percent": 40})):
            assert post(client, tokens["reporter_a"], f"{self.milestone}/{verb}", body).status_code
        catch_up(services)
        self.size = 5
        self.checkpoint = tmp / "cp.txt"
        self.checkpoint.write_text(client.get("/checkpoint", headers=self.viewer).text)
        # One more event, in the tree but after the checkpoint: a later export.
        comment = {"text": "cameras arrived"}
        assert post(client, tokens["reporter_a"], f"{self.milestone}/comment", comment).status_code
        catch_up(services)
        assert services.store.tree.size() == self.size + 1
        self.key_file = tmp / "vkey"
        self.key_file.write_text(self.vkey + "\n")
        self.export = tmp / "log.jsonl"
        with self.export.open("w") as out:
            assert export(services.store, out).count == self.size + 1
        self.client, self.tmp = client, tmp

    def get(self, path: str) -> Any:
        return self.client.get(path, headers=self.viewer).json

    def file(self, name: str, data: Any) -> str:
        path = self.tmp / name
        path.write_text(data if isinstance(data, str) else json.dumps(data))
        return str(path)


@pytest.fixture
def signed(
    client: FlaskClient, tokens: dict[str, str], services: Services, tmp_path: Path
) -> Signed:
    return Signed(client, tokens, services, tmp_path)


def test_an_export_is_held_to_its_checkpoint(
    signed: Signed, capsys: pytest.CaptureFixture[str]
) -> None:
    anchored = ["--checkpoint", str(signed.checkpoint), "--key", str(signed.key_file)]
    code, out, _ = cli(capsys, "verify", "--file", str(signed.export), *anchored, "--json")
    assert code == 0 and json.loads(out)["checkpoint"]["matches"] is True, out

    lines = signed.export.read_text().splitlines()
    short = signed.file("short.jsonl", "\n".join(lines[:3]) + "\n")
    code, out, _ = cli(capsys, "verify", "--file", short, *anchored, "--json")
    found = json.loads(out)["checkpoint"]
    assert code == 1 and found["first_different_position"] == 4, out
    assert found["reason"] == "the export holds 3 events; the checkpoint commits to 5"

    # A different history of the same length, against an earlier export of the real one.
    reordered = signed.file("other.jsonl", "\n".join(lines[:4]) + "\n")
    code, _, err = cli(capsys, "verify", "--file", str(signed.export), *anchored,
                       "--earlier", reordered)  # fmt: skip
    assert code == 1 and "does not match the checkpoint, so it cannot" in err, err

    other_key = create_key(str(signed.tmp / "other.key"), ORIGIN).verifier_key()
    code, _, err = cli(capsys, "verify", "--file", str(signed.export),
                       "--checkpoint", str(signed.checkpoint), "--key", other_key)  # fmt: skip
    assert code == 1 and "does not verify: no signature from a known key" in err, err
    code, _, err = cli(capsys, "verify", "--checkpoint", str(signed.checkpoint))
    assert code == 2 and "give --file and --key" in err, err
    code, _, err = cli(capsys, "verify", "--file", str(signed.export), "--earlier", short)
    assert code == 2 and "go with --checkpoint" in err, err
    bad = json.loads(lines[0]) | {"hash": "not hex"}
    unhashed = signed.file("bad.jsonl", json.dumps(bad) + "\n" + "\n".join(lines[1:]))
    code, _, err = cli(capsys, "verify", "--file", str(signed.export), *anchored,
                       "--earlier", unhashed)  # fmt: skip
    assert code == 1 and "position 1 has no SHA-256 hash" in err, err


def test_prove_checks_the_whole_event_against_the_checkpoint(
    signed: Signed, capsys: pytest.CaptureFixture[str]
) -> None:
    page = signed.get(f"{signed.milestone}/events")
    progress = page["events"][2]
    assert progress["type"] == "ProgressReported" and progress["version"] == 3
    position = progress["position"]
    proof = signed.get(f"/proofs/inclusion?position={position}&size={signed.size}")
    files = ["--checkpoint", str(signed.checkpoint), "--key", signed.vkey]

    def prove(event: Any, answer: Any = proof) -> tuple[int, str, str]:
        return cli(capsys, "prove", "--event", signed.file("event.json", event),
                   "--position", str(position),
                   "--proof", signed.file("proof.json", answer), *files)  # fmt: skip

    code, out, _ = prove(page)
    assert code == 0 and out.startswith(f"OK: event {progress['id']} (ProgressReported"), out
    predecessor = signed.file("export-lines.jsonl", "\n".join(
        signed.export.read_text().splitlines()[position - 2 : position]))  # fmt: skip
    assert cli(capsys, "prove", "--event", predecessor, "--proof",
               signed.file("p.json", proof), *files)[0] == 0  # fmt: skip

    altered = json.loads(json.dumps(page))
    altered["events"][2]["payload"]["percent"] = 90
    failures = [
        (prove(altered), "do not hash to its hash"),
        (prove(progress), "which the event file must hold too (ask for ?after=1&limit=2)"),
        (
            prove(page, signed.get(f"/proofs/inclusion?position={position}&size=6")),
            f"ask for /proofs/inclusion?position={position}&size=5",
        ),
        (prove(page, {**proof, "hashes": proof["hashes"][1:]}), "does not lead to the"),
        (prove(page, {"position": position}), "not a GET /proofs/inclusion answer"),
        (
            cli(
                capsys,
                "prove",
                "--event",
                signed.file("page.json", page),
                "--proof",
                signed.file("p6.json", signed.get("/proofs/inclusion?position=6")),
                *files,
            ),
            "newer than the checkpoint of 5 events: use a later checkpoint",
        ),  # fmt: skip
    ]
    for (code, out, err), why in failures:
        assert code == 1 and not out and why in err, (why, err)
