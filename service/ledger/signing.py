"""The log's signing key on disk, and issuing checkpoints with it.

The private key lives in a file (mode 0600), never in Redis and never in a log line; the
worker that signs reads it, and `reform-tracker up` creates it in the data folder on
first start. Its verifier key is public: the worker publishes it in Redis for
`GET /checkpoint/verifier-key`, and `reform-tracker keys show` prints it from the file.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

from service.ledger.domain.checkpoint import Conflict
from service.ledger.domain.note import Signer
from service.ledger.infrastructure import Infrastructure
from service.ledger.witnessing import submit_to_witnesses
from service.runtime.clock import isoformat
from service.runtime.secretbox import create_private_file

log = logging.getLogger("reform_tracker.checkpoints")
_loaded: dict[str, Signer] = {}
_missing: set[str] = set()


class KeyExists(Exception):
    pass


def create_key(path: str, name: str) -> Signer:
    """A new key pair written to ``path`` (refused if the file exists)."""
    signer = Signer.generate(name)
    if not create_private_file(Path(path), signer.private_key() + "\n"):
        raise KeyExists(f"{path} exists already; it is kept as it is")
    return signer


def load_key(path: str) -> Signer | None:
    """The key in ``path``, or None when there is no such file."""
    if path not in _loaded:
        try:
            text = Path(path).read_text()
        except FileNotFoundError:
            return None
        _loaded[path] = Signer.from_private_key(text)
    return _loaded[path]


def ensure_key(path: str, name: str) -> tuple[Signer, bool]:
    """The key in ``path``, created first if missing; True when it was just created."""
    found = load_key(path)
    if found is not None:
        return found, False
    return create_key(path, name), True


def checkpoint_if_due(infrastructure: Infrastructure) -> bool:
    """Sign a checkpoint when one is due (see Config); True when one was issued."""
    config = infrastructure.config
    signer = load_key(config.signing_key_path)
    if signer is None:
        if config.signing_key_path not in _missing:  # say it once per process
            _missing.add(config.signing_key_path)
            log.warning("no signing key at %s: no checkpoint issued", config.signing_key_path)
        return False
    checkpoints = infrastructure.store.checkpoints
    now = infrastructure.clock.now()
    issued = False
    if checkpoints.due(now, config.checkpoint_every_events, config.checkpoint_interval_seconds):
        try:
            issued = checkpoints.issue(signer, now) is not None
        except Conflict as error:
            # Never sign over a rewritten history; the operators and witnesses must look.
            log.error("checkpoint refused: %s", error)
            keep_refusal(infrastructure, str(error))
            return False
    # Also catches up a witness that was down when the checkpoint was issued.
    submit_to_witnesses(infrastructure)
    return issued


def keep_refusal(infrastructure: Infrastructure, reason: str) -> None:
    """Record why the log refused to sign, against the last checkpoint it did sign: that
    checkpoint names the refusal, so the alerts raise it once however often the worker
    refuses again (service/alerts/system.py)."""
    last = infrastructure.store.checkpoints.latest()
    refusal = {
        "reason": reason,
        "checkpoint_size": last.size if last else 0,
        "checkpoint_root": base64.b64encode(last.root).decode() if last else "",
        "tree_size": infrastructure.store.tree.size(),
        "refused_at": isoformat(infrastructure.clock.now()),
    }
    infrastructure.redis.set(infrastructure.keys.checkpoint_refusal, json.dumps(refusal))
