"""What the log stores of a domain event: its type name, schema version and payload.

Every context's events subclass DomainEvent; the store needs nothing else of them, so
the ledger knows no context's catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from service.ledger.domain.dicts import as_dict


@dataclass(frozen=True)
class DomainEvent:
    schema_version: ClassVar[int] = 1

    @property
    def type(self) -> str:
        return type(self).__name__

    def to_payload(self) -> dict[str, Any]:
        return as_dict(self)
