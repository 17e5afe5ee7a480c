"""The production WSGI app plus one no-op POST route, the ceiling for the HTTP benchmark.

Served by the same gunicorn command as `service.wsgi:app`, so the route shares every
per-request cost (request hooks, rate limiter, logging) except the command itself.
"""

from __future__ import annotations

from typing import Any

from flask import request

from service.wsgi import app


def noop() -> dict[str, Any]:
    request.get_json()  # parse the body, as a command would
    return {"ok": True}


app.add_url_rule("/bench/noop", endpoint="bench_noop", view_func=noop, methods=["POST"])
