"""The witness protocol (c2sp.org/tlog-witness) and cosignatures (c2sp.org/tlog-cosignature):
every refusal the specification names, with its status code, and a cosignature laid out
as specified, verifiable by anyone holding the witness's verifier key."""

from __future__ import annotations

import base64
import hashlib
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.ledger.domain import merkle
from service.ledger.domain.checkpoint import Checkpoint
from service.ledger.domain.cosignature import CosignatureVerifier, Cosigner
from service.ledger.domain.note import Signer, Verifier, parse
from service.runtime.clock import FrozenClock
from service.witness.service import Witness
from service.witness.store import WitnessStore

ORIGIN = "tracker.example/log"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def tree(count: int) -> merkle.Nodes:
    made = merkle.grown(0, lambda lv, ix: b"", [merkle.leaf_hash(bytes([i])) for i in range(count)])
    return lambda level, index: made[(level, index)]


NODES = tree(40)


def note(signer: Signer, size: int, root: bytes | None = None) -> str:
    root = merkle.root(size, NODES) if root is None else root
    return str(signer.sign(Checkpoint(signer.name, size, root).text()))


def body(old: int, proof: list[bytes], signed: str) -> str:
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return "\n".join(lines) + "\n\n" + signed


@pytest.fixture
def log_key() -> Signer:
    return Signer.generate(ORIGIN)


@pytest.fixture
def witness(tmp_path: Path, log_key: Signer) -> Witness:
    return Witness(
        WitnessStore(tmp_path / "witness.sqlite3"),
        Cosigner.generate("witness.example/w1"),
        {ORIGIN: Verifier.from_vkey(log_key.verifier_key())},
        FrozenClock(NOW),
    )


def test_the_specs_example_cosignature_has_the_documented_layout() -> None:
    # c2sp.org/tlog-cosignature's example line, cosigned at "time 1679315147".
    line = (
        "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5"
        "nNo0xUe+mbIUBkBIfZ+qnA=="
    )
    raw = base64.b64decode(line)
    assert len(raw) == 4 + 8 + 64
    assert struct.unpack(">Q", raw[4:12])[0] == 1679315147


def test_a_first_checkpoint_is_cosigned_and_remembered(witness: Witness, log_key: Signer) -> None:
    signed = note(log_key, 10)
    answer = witness.add_checkpoint(body(0, [], signed))
    assert answer.status == 200, answer.body
    assert answer.body.startswith("\u2014 witness.example/w1 ") and answer.body.endswith("\n")
    cosigned = parse(signed + answer.body)
    verifier = CosignatureVerifier.from_vkey(witness.cosigner.verifier_key())
    assert verifier.timestamp(cosigned) == int(NOW.timestamp())
    # The key ID and signed message are the specification's, byte for byte.
    public = witness.cosigner.public_key
    expected_id = hashlib.sha256(b"witness.example/w1\n\x04" + public).digest()[:4]
    signature = [s for s in cosigned.signatures if s.name == "witness.example/w1"][0]
    assert signature.key_id == expected_id
    message = (
        f"cosignature/v1\ntime {int(NOW.timestamp())}\n".encode() + parse(signed).text.encode()
    )
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(public).verify(signature.signature[8:], message)
    latest = witness.store.latest(ORIGIN)
    assert latest is not None and latest[0].size == 10


def test_growth_is_cosigned_with_a_consistency_proof(witness: Witness, log_key: Signer) -> None:
    assert witness.add_checkpoint(body(0, [], note(log_key, 10))).status == 200
    proof = merkle.consistency_proof(10, 25, NODES)
    assert witness.add_checkpoint(body(10, proof, note(log_key, 25))).status == 200
    assert witness.add_checkpoint(body(25, [], note(log_key, 25))).status == 200  # same head


def test_a_stale_old_size_gets_409_with_the_size_held(witness: Witness, log_key: Signer) -> None:
    witness.add_checkpoint(body(0, [], note(log_key, 10)))
    answer = witness.add_checkpoint(body(0, [], note(log_key, 12)))
    assert (answer.status, answer.body, answer.content_type) == (409, "10\n", "text/x.tlog.size")


def test_a_fork_is_refused_and_kept_as_evidence(witness: Witness, log_key: Signer) -> None:
    witness.add_checkpoint(body(0, [], note(log_key, 10)))
    # Not the same history: other leaves from position 5 on.
    other = merkle.grown(
        0,
        lambda lv, ix: b"",
        [merkle.leaf_hash(bytes([i if i < 5 else 99 + i])) for i in range(30)],
    )

    def forked(level: int, index: int) -> bytes:
        return other[(level, index)]

    proof = merkle.consistency_proof(10, 30, forked)
    answer = witness.add_checkpoint(body(10, proof, note(log_key, 30, merkle.root(30, forked))))
    assert answer.status == 422 and "not consistent" in answer.body
    same_size = witness.add_checkpoint(body(10, [], note(log_key, 10, merkle.root(10, forked))))
    assert same_size.status == 422
    evidence = witness.store.evidence()
    assert len(evidence) == 2 and evidence[0]["origin"] == ORIGIN
    latest = witness.store.latest(ORIGIN)
    assert latest is not None and latest[0].size == 10  # nothing of the fork was recorded


@pytest.mark.parametrize(
    ("make", "status"),
    [
        (lambda key: "no blank line", 400),
        (lambda key: body(0, [], note(key, 5)).replace("old 0", "old 00"), 400),
        (lambda key: body(0, [b"x" * 31], note(key, 5)), 400),
        (lambda key: body(6, [], note(key, 5)), 400),
        (lambda key: body(0, [], note(Signer.generate("elsewhere.example/log"), 5)), 404),
        (lambda key: body(0, [], note(Signer.generate(ORIGIN), 5)), 403),
        (lambda key: body(0, [], note(key, 5).replace("\n5\n", "\n6\n")), 403),
        (lambda key: body(0, [bytes(32)], note(key, 5)), 422),
        (lambda key: body(0, [], note(key, 0, bytes(32))), 422),
    ],
)
def test_refusals_use_the_specified_status(
    witness: Witness, log_key: Signer, make: object, status: int
) -> None:
    answer = witness.add_checkpoint(make(log_key))  # type: ignore[operator]
    assert answer.status == status, answer.body
    assert witness.store.latest(ORIGIN) is None
