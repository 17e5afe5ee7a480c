"""Signed notes and checkpoints follow the C2SP specifications byte for byte: the
signed-note spec's own example verifies, and what we sign has the documented layout."""

from __future__ import annotations

import base64
import hashlib

import pytest

from service.ledger.domain.checkpoint import Checkpoint, parse_checkpoint
from service.ledger.domain.note import (
    NoteError,
    Signer,
    Verifier,
    key_id,
    open_note,
    parse,
)

# From c2sp.org/signed-note, "Example".
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n"
    "\n"
    "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZX"
    "sYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def test_the_specs_example_verifies() -> None:
    verifier = Verifier.from_vkey(SPEC_VKEY)
    note = open_note(SPEC_NOTE, [verifier])
    assert note.text == "This is an example message.\n"
    assert str(note) == SPEC_NOTE


def test_the_specs_example_altered_does_not_verify() -> None:
    verifier = Verifier.from_vkey(SPEC_VKEY)
    with pytest.raises(NoteError, match="does not verify"):
        open_note(SPEC_NOTE.replace("example message", "exemplary message"), [verifier])


def test_what_we_sign_has_the_documented_layout() -> None:
    signer = Signer.generate("reform-tracker.example/log")
    public = signer.public_key
    expected_id = hashlib.sha256(b"reform-tracker.example/log\n\x01" + public).digest()[:4]
    assert signer.key_id == expected_id == key_id(signer.name, b"\x01", public)
    name, hex_id, material = signer.verifier_key().split("+", 2)
    assert (name, hex_id) == ("reform-tracker.example/log", expected_id.hex())
    assert base64.b64decode(material) == b"\x01" + public

    checkpoint = Checkpoint("reform-tracker.example/log", 42, bytes(range(32)))
    note = str(signer.sign(checkpoint.text()))
    text, signature_line = note.split("\n\n")
    assert (
        text + "\n"
        == "reform-tracker.example/log\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    )
    assert signature_line.startswith("\u2014 reform-tracker.example/log ")
    raw = base64.b64decode(signature_line.split(" ")[-1])
    assert raw[:4] == expected_id and len(raw) == 4 + 64
    verified = open_note(note, [Verifier.from_vkey(signer.verifier_key())])
    assert parse_checkpoint(verified.text) == checkpoint


def test_private_keys_round_trip_in_the_reference_format() -> None:
    signer = Signer.generate("log.example/a")
    again = Signer.from_private_key(signer.private_key())
    assert again.verifier_key() == signer.verifier_key()
    assert signer.private_key().startswith(f"PRIVATE+KEY+log.example/a+{signer.key_id.hex()}+")
    with pytest.raises(NoteError, match="ID does not match"):
        Signer.from_private_key(signer.private_key().replace(signer.key_id.hex(), "00000000"))


def test_unknown_keys_are_ignored_and_a_note_needs_a_known_one() -> None:
    ours, theirs = Signer.generate("log.example/a"), Signer.generate("witness.example/w")
    note = ours.sign("log.example/a\n1\n" + base64.b64encode(bytes(32)).decode() + "\n")
    both = str(note.with_signature(theirs.signature(note.text)))
    assert open_note(both, [Verifier.from_vkey(ours.verifier_key())]).text == note.text
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note(str(note), [Verifier.from_vkey(theirs.verifier_key())])
    # Same name, another key: ignored, not a failure.
    impostor = Signer.generate("log.example/a")
    assert not Verifier.from_vkey(impostor.verifier_key()).verifies(parse(both))


@pytest.mark.parametrize(
    "bad",
    [
        "no blank line\n\u2014 a AAAAAAA=\n",
        "text\n\nnot a signature\n",
        "text\n\n\u2014 a not-base64!\n",
        "text\n\n\u2014 a AAA=\n",
        "te\x00xt\n\n\u2014 a AAAAAAAAAA==\n",
        "text\n\n",
    ],
)
def test_malformed_notes_are_refused(bad: str) -> None:
    with pytest.raises(NoteError):
        parse(bad)


@pytest.mark.parametrize(
    "text",
    [
        "origin\n42\n",
        "origin\n042\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n42\n" + base64.b64encode(bytes(31)).decode() + "\n",
        "origin\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n42\n" + base64.b64encode(bytes(32)).decode(),
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(NoteError):
        parse_checkpoint(text)
