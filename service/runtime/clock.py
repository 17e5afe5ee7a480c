"""The one clock of the service, so tests can freeze and move time instead of sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self._at = at
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def today(self) -> date:
        return self.now().date()

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._at += delta

    def set(self, at: datetime) -> None:
        with self._lock:
            self._at = at


def isoformat(moment: datetime) -> str:
    """Server timestamps: UTC, microseconds, 'Z' suffix — one spelling everywhere."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
