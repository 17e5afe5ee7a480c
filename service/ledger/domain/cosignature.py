"""Ed25519 checkpoint cosignatures (c2sp.org/tlog-cosignature, cosignature/v1).

    key ID    = SHA-256(name || "\\n" || 0x04 || 32-byte public key)[:4]
    message   = "cosignature/v1\\n" "time <POSIX seconds>\\n" <checkpoint note text>
    signature = base64(key ID || u64 big-endian timestamp || Ed25519 signature)

A witness cosigns a checkpoint to say that, at that time, it is the largest consistent
tree head it has seen for that log. The log and auditors verify cosignatures with the
witness's verifier key (``name+hex(key ID)+base64(0x04 || public key)``).
"""

from __future__ import annotations

import struct

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from service.ledger.domain.note import (
    PRIVATE,
    Note,
    NoteError,
    Signature,
    check_id,
    key_id,
    key_text,
    read_key,
    read_private_key,
)

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
        name, hex_id, seed = read_private_key(encoded, COSIGNATURE_V1, "cosigner key")
        cosigner = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        check_id(cosigner.key_id, hex_id, "cosigner key")
        return cosigner

    def private_key(self) -> str:
        seed = self._key.private_bytes_raw()
        return PRIVATE + key_text(self.name, self.key_id, COSIGNATURE_V1, seed)

    def verifier_key(self) -> str:
        return key_text(self.name, self.key_id, COSIGNATURE_V1, self.public_key)

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
        name, hex_id, public_key = read_key(vkey, COSIGNATURE_V1, "verifier key")
        verifier = cls(name, public_key)
        check_id(verifier.key_id, hex_id, "verifier key")
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
