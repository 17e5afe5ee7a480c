"""Scope roll-ups remembered in the process, so a dashboard read computes only the scopes
that changed since the last read (or since the day began).

A scope's roll-up (domain/dashboards.py ``summary``) is a function of the day, the RAG
rules, the scope's totals and the records of its attention rows. Every change to a
milestone raises the totals' ``position`` in each of its scopes, so within one source of
records (a generation of the live read model, or the log folded to a past day) the
totals and the attention ids name the records exactly: a roll-up computed once answers
every later read of that scope until one of them moves. The memo is per process
(each API worker keeps its own), bounded, and least recently used entries go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

ENTRIES = 8192  # about 40 days of as-of overviews of 200 scopes, and the live ones


class SummaryMemo:
    """Least recently used roll-ups, safe to share between a process's threads."""

    def __init__(self, entries: int = ENTRIES) -> None:
        self.entries = entries
        self._found: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
            return found

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._found[key] = value
            self._found.move_to_end(key)
            while len(self._found) > self.entries:
                self._found.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._found.clear()

    def within(self, source: Hashable) -> ScopedMemo:
        """The memo as one source of records sees it: ``source`` names it (which read
        model generation, or which past day, and whether it is the public view)."""
        return ScopedMemo(self, source)


class ScopedMemo:
    def __init__(self, memo: SummaryMemo, source: Hashable) -> None:
        self.memo = memo
        self.source = source

    def get(self, key: Hashable) -> Any | None:
        return self.memo.get((self.source, key))

    def get_many(self, keys: dict[Any, Hashable]) -> dict[Any, Any]:
        found = {name: self.get(key) for name, key in keys.items()}
        return {name: value for name, value in found.items() if value is not None}

    def put(self, key: Hashable, value: Any) -> None:
        self.memo.put((self.source, key), value)


# One per process: every DashboardQueries of the process shares it.
PROCESS_MEMO = SummaryMemo()
