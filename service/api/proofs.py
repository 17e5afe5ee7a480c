"""The Merkle tree over the log (RFC 9162): its head, inclusion and consistency proofs.

With them anyone can check that an event is in the log, and that the log only grew
between two tree heads, without reading the log. docs/audit.md shows how.
"""

from __future__ import annotations

import base64
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.proofs import ConsistencyArgs, ConsistencyOut, InclusionArgs, InclusionOut, TreeHeadOut
from service.api.auth import reader, services
from service.ledger.domain.errors import InvalidValue
from service.ledger.domain.merkle import EMPTY_ROOT, ProofError

blp = Blueprint(
    "proofs",
    __name__,
    description="The RFC 9162 Merkle tree over the sealed global log, and its proofs. "
    "Leaf data is each event's 32-byte chain hash; hashes are standard base64.",
)


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def refused(error: ProofError) -> InvalidValue:
    return InvalidValue(error.field or "size", str(error))


@blp.route("/tree")
class TreeHead(MethodView):
    @blp.response(200, TreeHeadOut)
    def get(self) -> dict[str, Any]:
        """The latest tree head: how many events the tree holds and its root."""
        reader()
        tree = services().store.tree
        size = tree.size()
        return {"size": size, "root": b64(tree.root(size) if size else EMPTY_ROOT)}


@blp.route("/proofs/inclusion")
class Inclusion(MethodView):
    @blp.arguments(InclusionArgs(), location="query")
    @blp.response(200, InclusionOut)
    def get(self, args: dict[str, int]) -> dict[str, Any]:
        """Proof that the event at `position` is in the tree of `size` events."""
        reader()
        tree = services().store.tree
        try:
            proof = tree.inclusion(args["position"], args.get("size") or tree.size())
        except ProofError as error:
            raise refused(error) from None
        return {
            "position": proof.position,
            "leaf_index": proof.position - 1,
            "size": proof.size,
            "leaf_hash": b64(proof.leaf_hash),
            "root": b64(proof.root),
            "hashes": [b64(h) for h in proof.hashes],
        }


@blp.route("/proofs/consistency")
class Consistency(MethodView):
    @blp.arguments(ConsistencyArgs(), location="query")
    @blp.response(200, ConsistencyOut)
    def get(self, args: dict[str, int]) -> dict[str, Any]:
        """Proof that the tree of `from` events is a prefix of the tree of `to` events."""
        reader()
        tree = services().store.tree
        try:
            proof = tree.consistency(args["from"], args.get("to") or tree.size())
        except ProofError as error:
            raise refused(error) from None
        return {
            "from": proof.old_size,
            "to": proof.new_size,
            "old_root": b64(proof.old_root),
            "new_root": b64(proof.new_root),
            "hashes": [b64(h) for h in proof.hashes],
        }
