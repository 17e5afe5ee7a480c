"""The one-time move of read models and administration keys under the log's hash tag.

Deployments started before keys.py gave every key one tag keep their tokens,
subscriptions, deliveries and read models under ``{<prefix>:admin}`` and
``{<prefix>:rm}``. The bootstrap calls ``move_legacy_keys`` in every process: once the
marker is set it costs one GET; before that it renames each old key to its new name with
RENAMENX (an existing new key wins: it was written by this version), so processes racing
through it, or one interrupted half-way, do no harm. Run it on the single server before
moving a deployment to Redis Cluster: a rename cannot cross slots there.
"""

from __future__ import annotations

import contextlib
from typing import Any

import redis

from service.ledger.keys import Keys

SCHEME = "1"
SCAN_BATCH = 1000


def move_legacy_keys(client: Any, keys: Keys) -> int:
    """Rename every legacy key; return how many were moved."""
    if client.get(keys.scheme_marker):
        return 0
    moved = 0
    for old, new in keys.legacy_tags.items():
        for name in list(client.scan_iter(match=_pattern(old) + ":*", count=SCAN_BATCH)):
            text = name.decode() if isinstance(name, bytes) else str(name)
            with contextlib.suppress(redis.ResponseError):  # renamed meanwhile elsewhere
                moved += int(bool(client.renamenx(text, new + text[len(old) :])))
    client.set(keys.scheme_marker, SCHEME)
    return moved


def _pattern(literal: str) -> str:
    """``literal`` as a SCAN pattern that matches only itself."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in literal)
