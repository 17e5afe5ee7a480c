"""The sealer: chains the global log in position order, shortly after appends commit.

An append numbers its events itself (the append script gives out global positions), so
appends to different streams never wait for each other. The global chain,
``global_hash = SHA-256(previous global_hash || hash)``, is computed here instead, over
the log as committed: each run reads the events after the sealed head, chains them and
stores one global hash per position with a script that compares-and-sets the sealed
head, so any number of sealers may run at once and the chain can never fork. The
worker seals before it projects (every append wakes it); exports seal first, so an
export always carries the whole chain.

The sealer never seals across a gap in the positions: ``verify`` reports it instead.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import orjson
import redis

from service.ledger.appends import (
    _encode_head,
    _entry_number,
    _field,
    _parse_head,
    _text,
    position_head,
)
from service.ledger.domain.chain import chain_hash
from service.ledger.keys import SEALED_HEAD, Keys

SCRIPT = resources.files("service.ledger").joinpath("seal.lua").read_text()
BATCH = 2000
RACES = 100  # lost compare-and-sets in a row before seal_all gives up for now


class Sealer:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys
        self._script = client.register_script(SCRIPT)

    def seal(self, batch: int = BATCH) -> int | None:
        """Seal up to ``batch`` events; how many, or None if another sealer was first."""
        keys = self.keys
        raw_head = _text(self.redis.hget(keys.heads, SEALED_HEAD)) or ""
        position, previous = _parse_head(raw_head)
        entries = self.redis.xrange(keys.log, min=f"({position}-0", max="+", count=batch)
        pairs: list[Any] = []
        for entry_id, fields in entries or []:
            entry_position = _entry_number(entry_id)
            if entry_position != position + 1:
                break  # a gap: never chain across it; verify reports it
            previous = chain_hash(previous, orjson.loads(_field(fields, "e"))["hash"])
            position = entry_position
            pairs += [position, previous]
        if not pairs:
            return 0
        new_head = _encode_head(position, previous)
        won = self._script(keys=[keys.heads, keys.seals], args=[raw_head, new_head, *pairs])
        return len(pairs) // 2 if won else None

    def seal_all(self) -> int:
        """Seal up to the head of the log as it is now; the number of events sealed.

        The head is read once: under sustained appends a moving target is never reached,
        and the worker, which seals before it grows the tree and signs, would never get
        past sealing. What is appended meanwhile is sealed by the next run."""
        target, sealed, races = position_head(self.redis, self.keys), 0, 0
        while races < RACES:
            count = self.seal()
            if count is None:
                races += 1
                continue
            sealed += count
            if count == 0 or self.sealed_position() >= target:
                return sealed
        return sealed

    def sealed_position(self) -> int:
        raw = self.redis.hget(self.keys.heads, SEALED_HEAD)
        return _parse_head(_text(raw))[0]

    def global_hash_at(self, position: int) -> str | None:
        """The global hash sealed for ``position``; None if it is not sealed yet."""
        return _text(self.redis.hget(self.keys.seals, str(position)))
