"""Swagger UI's files for /docs, served from the package that installs them.

flask-smorest renders the /docs page; the scripts and stylesheet it loads come from
here rather than a CDN, so the interactive docs work on a machine with no network. The
files are those of the pinned swagger-ui-bundle-v2 package (Swagger UI 5, which reads
the OpenAPI 3.1 document).
"""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/docs/assets/"
CACHE_SECONDS = 24 * 3600  # the files change only with the pinned package

blp = Blueprint("api_docs", __name__, url_prefix=ASSETS_URL.rstrip("/"))


@blp.get("/<path:name>")
def asset(name: str) -> Response:
    """One Swagger UI file (404 for anything not in the package's folder)."""
    return send_from_directory(str(swagger_ui_path), name, max_age=CACHE_SECONDS)
