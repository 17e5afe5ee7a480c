"""Signed checkpoints of the log (C2SP tlog-checkpoint) and the key that verifies them.

`GET /checkpoint` is the latest signed note, as text, byte for byte what was signed;
witnesses and auditors verify it with the verifier key, which they should pin from a
source other than this service (`reform-tracker keys show` prints it).
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.checkpoints import CheckpointPage, CheckpointQuery
from service.api.auth import reader, services
from service.ledger.domain.errors import NotFound

blp = Blueprint(
    "checkpoints",
    __name__,
    description="Signed checkpoints of the Merkle tree (C2SP tlog-checkpoint, Ed25519 "
    "signed notes), kept for every tree size the log ever signed.",
)
TEXT = "text/plain; charset=utf-8"


@blp.route("/checkpoint")
class Latest(MethodView):
    @blp.response(200, content_type="text/plain", description="The signed note")
    def get(self) -> Response:
        """The latest signed checkpoint: origin, tree size and root, then signatures."""
        reader()
        latest = services().store.checkpoints.latest()
        if latest is None:
            raise NotFound("a checkpoint (none is signed yet)")
        return Response(latest.note, mimetype="text/plain", content_type=TEXT)


@blp.route("/checkpoint/verifier-key")
class VerifierKey(MethodView):
    @blp.response(200, content_type="text/plain", description="A C2SP note verifier key")
    def get(self) -> Response:
        """The verifier key of the log's signing key (name+key ID+base64 key)."""
        reader()
        vkey = services().store.checkpoints.verifier_key()
        if vkey is None:
            raise NotFound("a verifier key (no checkpoint is signed yet)")
        return Response(vkey + "\n", mimetype="text/plain", content_type=TEXT)


@blp.route("/checkpoints")
class History(MethodView):
    @blp.arguments(CheckpointQuery(), location="query")
    @blp.response(200, CheckpointPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every checkpoint the log signed, newest first."""
        reader()
        found, cursor = services().store.checkpoints.page(args.get("before"), args["limit"])
        return {
            "checkpoints": [
                {
                    "size": issued.size,
                    "root": base64.b64encode(issued.root).decode(),
                    "issued_at": issued.issued_at,
                    "note": issued.note,
                }
                for issued in found
            ],
            "next_cursor": str(cursor) if cursor else None,
        }
