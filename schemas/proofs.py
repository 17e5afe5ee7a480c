"""The Merkle tree head and its proofs: hashes as standard base64, as in C2SP checkpoints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

SIZE = validate.Range(min=1, max=2**53)
# OpenAPI 3.1 says base64 with contentEncoding (JSON Schema), not the 3.0 "byte" format.
B64 = {"description": "SHA-256 hash, standard base64", "contentEncoding": "base64"}


class TreeHeadOut(Schema):
    size = fields.Integer(metadata={"description": "Events in the tree (sealed positions)"})
    root = fields.String(metadata=B64)


class InclusionArgs(Schema):
    position = fields.Integer(
        required=True, validate=SIZE, metadata={"description": "Global position of the event"}
    )
    size = fields.Integer(
        validate=SIZE, metadata={"description": "Tree size the proof is for (default: latest)"}
    )


class InclusionOut(Schema):
    position = fields.Integer()
    leaf_index = fields.Integer(metadata={"description": "position - 1"})
    size = fields.Integer()
    leaf_hash = fields.String(
        metadata={**B64, "description": "SHA-256(0x00 || the event's 32-byte chain hash)"}
    )
    root = fields.String(metadata=B64)
    hashes = fields.List(fields.String(metadata=B64), metadata={"description": "Audit path"})


ConsistencyArgs = Schema.from_dict(
    {
        "from": fields.Integer(
            required=True, validate=SIZE, metadata={"description": "Older size"}
        ),
        "to": fields.Integer(
            validate=SIZE, metadata={"description": "Newer size (default: latest)"}
        ),
    },
    name="ConsistencyArgs",
)
ConsistencyOut = Schema.from_dict(
    {
        "from": fields.Integer(),
        "to": fields.Integer(),
        "old_root": fields.String(metadata=B64),
        "new_root": fields.String(metadata=B64),
        "hashes": fields.List(fields.String(metadata=B64)),
    },
    name="ConsistencyOut",
)
