"""Logged events for pure projection tests, without a store: positions and stream versions
are numbered as the event store would number them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.tracking.domain.events import DomainEvent


@dataclass(frozen=True)
class Logged:
    stream: str
    version: int
    position: int
    type: str
    payload: dict[str, Any]
    recorded_at: str = "2026-11-25T09:00:00.000000Z"
    actor: dict[str, Any] = field(default_factory=lambda: {"token_id": "t1", "role": "overseer"})


class Log:
    def __init__(self) -> None:
        self.events: list[Logged] = []
        self.versions: dict[str, int] = {}

    def add(self, stream: str, *events: DomainEvent, at: str = "2026-11-25") -> list[Logged]:
        added = []
        for event in events:
            version = self.versions.get(stream, 0) + 1
            self.versions[stream] = version
            added.append(
                Logged(
                    stream,
                    version,
                    len(self.events) + 1,
                    event.type,
                    event.to_payload(),
                    f"{at}T09:00:00.000000Z",
                )
            )
            self.events.append(added[-1])
        return added
