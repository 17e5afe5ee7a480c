"""A dataclass as a dict, without ``dataclasses.asdict``'s deep copy when it is not needed."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

# Values nothing can change in place: sharing them is as good as copying them.
_LEAVES = frozenset({str, int, float, bool, type(None), date, datetime})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def as_dict(value: Any) -> dict[str, Any]:
    """``dataclasses.asdict(value)``: when every field holds an immutable leaf, a shallow
    copy is the same dict (asdict's deep walk cost more than an append's hashing)."""
    fields = {name: getattr(value, name) for name in _field_names(type(value))}
    if all(type(field) in _LEAVES for field in fields.values()):
        return fields
    return dataclasses.asdict(value)


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind))  # type: ignore[arg-type]
    return names
