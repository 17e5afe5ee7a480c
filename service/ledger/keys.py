"""The one Redis key scheme.

Every key of a deployment carries the same hash tag ``{<prefix>}``, so on Redis Cluster
the whole deployment lives in one slot: the append script (an aggregate stream, the
global log, the heads, the idempotency record, the wake flag), the projector's
transaction (read models and their checkpoints), the tokens' and the deliveries'
transactions may touch any of its keys together, now and in any later change, and a
deployment fails over as one. Several deployments (``RT_KEY_PREFIX``) spread over the
cluster's slots. Why this beats sharding one deployment: docs/operations.md.

Read models are under ``{<prefix>}:rm:``, administration (tokens, subscriptions,
deliveries) under ``{<prefix>}:admin:``. Before this scheme they had tags of their own
(``{<prefix>:rm}``, ``{<prefix>:admin}``); ``LEGACY_TAGS`` names them for the one-time
move (service/ledger/rekey.py).
"""

from __future__ import annotations

from dataclasses import dataclass

POSITION_HEAD = "$position"  # the last global position given to an event
SEALED_HEAD = "$sealed"  # "position:global_hash" of the last event the sealer chained


@dataclass(frozen=True)
class Keys:
    prefix: str = "rt"

    @property
    def _log_tag(self) -> str:
        return "{" + self.prefix + "}"

    @property
    def _rm_tag(self) -> str:
        return self._log_tag + ":rm"

    @property
    def _admin_tag(self) -> str:
        return self._log_tag + ":admin"

    @property
    def legacy_tags(self) -> dict[str, str]:
        """Where read models and administration lived before they joined the log's tag:
        old key prefix -> new key prefix."""
        return {
            "{" + self.prefix + ":rm}": self._rm_tag,
            "{" + self.prefix + ":admin}": self._admin_tag,
        }

    @property
    def scheme_marker(self) -> str:
        """Set once the deployment's keys follow this scheme (see rekey.py)."""
        return f"{self._log_tag}:key-scheme"

    @property
    def ratelimit(self) -> str:
        """The prefix of the API's rate-limit counters (flask-limiter's own keys)."""
        return f"{self._log_tag}:ratelimit"

    # --- event log (one slot) ---
    @property
    def log(self) -> str:
        return f"{self._log_tag}:log"

    @property
    def heads(self) -> str:
        """Hash: stream name -> "version:hash", plus POSITION_HEAD and SEALED_HEAD."""
        return f"{self._log_tag}:heads"

    def stream(self, name: str) -> str:
        return f"{self._log_tag}:stream:{name}"

    @property
    def projector_wake(self) -> str:
        """Set while a projector job is queued; in the log's slot so an append can set it."""
        return f"{self._log_tag}:projector:wake"

    @property
    def seals(self) -> str:
        """Hash: global position -> global_hash, written by the sealer."""
        return f"{self._log_tag}:seals"

    @property
    def tree(self) -> str:
        """Hash: the Merkle tree's complete subtrees, "<level>:<index>" -> hex, and "size"."""
        return f"{self._log_tag}:tree"

    @property
    def checkpoints(self) -> str:
        """Hash: tree size -> "<issued at>\\n<signed checkpoint note>"."""
        return f"{self._log_tag}:checkpoints"

    @property
    def checkpoint_sizes(self) -> str:
        """Sorted set of the sizes that have a checkpoint, for paging the history."""
        return f"{self._log_tag}:checkpoint-sizes"

    @property
    def checkpoint_vkey(self) -> str:
        """The verifier key of the log's signing key, as the worker last loaded it."""
        return f"{self._log_tag}:checkpoint-vkey"

    @property
    def checkpoint_refusal(self) -> str:
        """Why the log last refused to sign a checkpoint (a rewritten history), as JSON:
        reason, checkpoint_size, checkpoint_root, tree_size, refused_at."""
        return f"{self._log_tag}:checkpoint-refusal"

    def children(self, parent: str) -> str:
        """List of child stream names in creation order ("" parent = all programmes)."""
        return f"{self._log_tag}:children:{parent or '$root'}"

    def idempotency(self, scope: str, key: str) -> str:
        return f"{self._log_tag}:idem:{scope}:{key}"

    # --- read models ---
    def read_model(self, name: str) -> str:
        return f"{self._rm_tag}:{name}"

    # --- administration ---
    @property
    def tokens(self) -> str:
        return f"{self._admin_tag}:tokens"

    def admin(self, name: str) -> str:
        return f"{self._admin_tag}:{name}"
