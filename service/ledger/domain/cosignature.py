"""Ed25519 checkpoint cosignatures (c2sp.org/tlog-cosignature, cosignature/v1).

    key ID    = SHA-256(name || "\\n" || 0x04 || 32-byte public key)[:4]
    message   = "cosignature/v1\\n" "time <POSIX seconds>\\n" <checkpoint note text>
    signature = base64(key ID || u64 big-endian timestamp || Ed25519 signature)

A witness cosigns a checkpoint to say that, at that time, it is the largest consistent
tree head it has seen for that log. The log and auditors verify cosignatures with the
witness's verifier key (``name+hex(key ID)+base64(0x04 || public key)``).
"""

from __future__ import annotations

import base64
import binascii
import struct

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from service.ledger.domain.note import Note, NoteError, Signature, key_id

COSIGNATURE_V1 = b"\x04"


def message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


class Cosigner:
    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self.name = name
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes_raw()
        self.key_id = key_id(name, COSIGNATURE_V1, self.public_key)

    @classmethod
    def generate(cls, name: str) -> Cosigner:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_key(cls, encoded: str) -> Cosigner:
        parts = encoded.strip().split("+", 4)  # base64 may contain "+"
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a cosigner key reads PRIVATE+KEY+<name>+<key ID>+<key>")
        _, _, name, hex_id, material = parts
        try:
            raw = base64.b64decode(material, validate=True)
        except binascii.Error:
            raise NoteError("the cosigner key's material is not base64") from None
        if len(raw) != 33 or raw[:1] != COSIGNATURE_V1:
            raise NoteError("only Ed25519 cosignature/v1 keys are supported")
        cosigner = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if cosigner.key_id.hex() != hex_id:
            raise NoteError("the cosigner key's ID does not match its name and key")
        return cosigner

    def private_key(self) -> str:
        material = base64.b64encode(COSIGNATURE_V1 + self._key.private_bytes_raw()).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{material}"

    def verifier_key(self) -> str:
        material = base64.b64encode(COSIGNATURE_V1 + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def cosign(self, text: str, timestamp: int) -> Signature:
        if not 0 < timestamp < 2**63:
            raise NoteError("a cosignature's timestamp must be a positive POSIX time")
        signed = self._key.sign(message(text, timestamp))
        return Signature(self.name, self.key_id, struct.pack(">Q", timestamp) + signed)


class CosignatureVerifier:
    def __init__(self, name: str, public_key: bytes) -> None:
        self.name = name
        self.public_key = public_key
        self.key_id = key_id(name, COSIGNATURE_V1, public_key)
        self._key = Ed25519PublicKey.from_public_bytes(public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key reads <name>+<key ID>+<key>")
        name, hex_id, material = parts
        try:
            raw = base64.b64decode(material, validate=True)
        except binascii.Error:
            raise NoteError("the verifier key's material is not base64") from None
        if len(raw) != 33 or raw[:1] != COSIGNATURE_V1:
            raise NoteError("not an Ed25519 cosignature/v1 verifier key")
        verifier = cls(name, raw[1:])
        if verifier.key_id.hex() != hex_id:
            raise NoteError("the verifier key's ID does not match its name and key")
        return verifier

    def timestamp(self, note: Note) -> int | None:
        """When this witness cosigned the note; None when it did not; NoteError when its
        cosignature does not verify."""
        found = None
        for signature in note.signatures:
            if (signature.name, signature.key_id) != (self.name, self.key_id):
                continue
            if len(signature.signature) != 8 + 64:
                raise NoteError(f"the cosignature of {self.name} has the wrong length")
            (timestamp,) = struct.unpack(">Q", signature.signature[:8])
            try:
                self._key.verify(signature.signature[8:], message(note.text, timestamp))
            except InvalidSignature:
                raise NoteError(f"the cosignature of {self.name} does not verify") from None
            found = timestamp
        return found
