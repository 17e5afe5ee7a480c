"""The witness's HTTP interface (c2sp.org/tlog-witness): POST /add-checkpoint, plus
GET /verifier-key and GET /evidence for whoever runs it."""

from __future__ import annotations

import json

from flask import Flask, Response, request

from service.witness.service import Witness

MAX_BODY = 64 * 1024


def create_witness_app(witness: Witness) -> Flask:
    app = Flask("service.witness")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY

    @app.post("/add-checkpoint")
    def add_checkpoint() -> Response:
        try:
            body = request.get_data(cache=False).decode("utf-8")
        except UnicodeDecodeError:
            return Response("the body is not UTF-8\n", 400, content_type="text/plain")
        answer = witness.add_checkpoint(body)
        return Response(answer.body, answer.status, content_type=answer.content_type)

    @app.get("/verifier-key")
    def verifier_key() -> Response:
        return Response(witness.cosigner.verifier_key() + "\n", content_type="text/plain")

    @app.get("/evidence")
    def evidence() -> Response:
        return Response(json.dumps(witness.store.evidence()), content_type="application/json")

    return app
