"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, byte for byte.

    note      = text ending in "\\n", a blank line, then signature lines
    signature = "— " key name " " base64(key ID || Ed25519 signature over the text) "\\n"
    key ID    = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]
    vkey      = key name "+" hex(key ID) "+" base64(0x01 || public key)

Private keys are written as Go's golang.org/x/mod/sumdb/note signer keys
(``PRIVATE+KEY+<name>+<hex key ID>+base64(0x01 || 32-byte seed)``), so the same key
works with the reference implementation. Verifiers ignore signatures from unknown keys
and refuse a note whose known signature does not verify, as the spec requires.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ED25519 = b"\x01"
DASH = "\u2014 "
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A note, key or signature that is malformed or does not verify."""


def key_id(name: str, kind: bytes, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + kind + public_key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{DASH}{self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[Signature, ...]

    def __str__(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    def with_signature(self, signature: Signature) -> Note:
        others = tuple(
            s for s in self.signatures if (s.name, s.key_id) != (signature.name, signature.key_id)
        )
        return Note(self.text, (*others, signature))


def parse(note: str) -> Note:
    """Split a signed note into its text and signatures (nothing is verified here)."""
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("a note must not contain control characters other than newline")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise NoteError("a note is its text, a blank line and signature lines")
    text, lines = note[: split + 1], note[split + 2 :].splitlines()
    if not lines or len(lines) > MAX_SIGNATURES:
        raise NoteError("a note needs 1 to 100 signature lines")
    signatures = []
    for line in lines:
        if not line.startswith(DASH):
            raise NoteError(f"not a signature line: {line[:40]!r}")
        name, _, encoded = line[len(DASH) :].rpartition(" ")
        _check_name(name)
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteError(f"the signature of {name} is not base64") from None
        if len(raw) < 5:
            raise NoteError(f"the signature of {name} is too short")
        signatures.append(Signature(name, raw[:4], raw[4:]))
    return Note(text, tuple(signatures))


PRIVATE = "PRIVATE+KEY+"


def key_text(name: str, key_id: bytes, kind: bytes, material: bytes) -> str:
    """``<name>+<hex key ID>+base64(kind || material)``: a verifier key, or after
    ``PRIVATE+KEY+`` a private one (material is then the 32-byte seed)."""
    return f"{name}+{key_id.hex()}+{base64.b64encode(kind + material).decode()}"


def read_key(text: str, kind: bytes, what: str) -> tuple[str, str, bytes]:
    """The name, hex key ID and 32-byte material of a key written by ``key_text``."""
    parts = text.strip().split("+", 2)  # base64 may contain "+"
    if len(parts) != 3:
        raise NoteError(f"a {what} reads <name>+<key ID>+<key>")
    name, hex_id, material = parts
    try:
        raw = base64.b64decode(material, validate=True)
    except binascii.Error:
        raise NoteError(f"the {what}'s material is not base64") from None
    if len(raw) != 33 or raw[:1] != kind:
        raise NoteError(f"the {what} is not of the expected kind (0x{kind.hex()}, Ed25519)")
    return name, hex_id, raw[1:]


def read_private_key(text: str, kind: bytes, what: str) -> tuple[str, str, bytes]:
    if not text.strip().startswith(PRIVATE):
        raise NoteError(f"a {what} reads PRIVATE+KEY+<name>+<key ID>+<key>")
    return read_key(text.strip()[len(PRIVATE) :], kind, what)


def check_id(found: bytes, hex_id: str, what: str) -> None:
    if found.hex() != hex_id:
        raise NoteError(f"the {what}'s ID does not match its name and key")


class Signer:
    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name)
        self.name = name
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes_raw()
        self.key_id = key_id(name, ED25519, self.public_key)

    @classmethod
    def generate(cls, name: str) -> Signer:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_key(cls, encoded: str) -> Signer:
        """A signer from Go's note signer key format."""
        name, hex_id, seed = read_private_key(encoded, ED25519, "signer key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        check_id(signer.key_id, hex_id, "signer key")
        return signer

    def private_key(self) -> str:
        seed = self._key.private_bytes_raw()
        return PRIVATE + key_text(self.name, self.key_id, ED25519, seed)

    def verifier_key(self) -> str:
        return key_text(self.name, self.key_id, ED25519, self.public_key)

    def signature(self, text: str) -> Signature:
        return Signature(self.name, self.key_id, self._key.sign(text.encode()))

    def sign(self, text: str) -> Note:
        if not text.endswith("\n") or text.endswith("\n\n"):
            raise NoteError("a note's text must end in exactly one newline")
        return Note(text, (self.signature(text),))


class Verifier:
    def __init__(self, name: str, public_key: bytes) -> None:
        _check_name(name)
        self.name = name
        self.public_key = public_key
        self.key_id = key_id(name, ED25519, public_key)
        self._key = Ed25519PublicKey.from_public_bytes(public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        name, hex_id, public_key = read_key(vkey, ED25519, "verifier key")
        verifier = cls(name, public_key)
        check_id(verifier.key_id, hex_id, "verifier key")
        return verifier

    def verifies(self, note: Note) -> bool:
        """True when this key signed the note; NoteError when its signature is bad; False
        when the note carries no signature of this key."""
        mine = [s for s in note.signatures if (s.name, s.key_id) == (self.name, self.key_id)]
        for signature in mine:
            try:
                self._key.verify(signature.signature, note.text.encode())
            except InvalidSignature:
                raise NoteError(f"the signature of {self.name} does not verify") from None
        return bool(mine)


def open_note(note: str, verifiers: list[Verifier]) -> Note:
    """The note, once at least one known key's signature verifies (and none fails)."""
    parsed = parse(note)
    if not any([verifier.verifies(parsed) for verifier in verifiers]):
        raise NoteError("no signature from a known key")
    return parsed
