"""What a benchmark section reports: rows of medians, each next to its same-run baseline.

The machine is shared and noisy, so absolute numbers drift between runs; a ratio to a
baseline measured in the same run, repetition by repetition, is what we compare. Every
figure is the median over the repetitions, and the per-repetition samples are kept.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


def median(samples: Sequence[float]) -> float:
    return float(statistics.median(samples))


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile, so p99 is a latency some request really had."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5))
    return float(ordered[min(rank, len(ordered)) - 1])


@dataclass
class Row:
    case: str
    metric: str
    unit: str
    value: float
    samples: list[float] = field(default_factory=list)
    baseline: float | None = None
    baseline_case: str | None = None
    ratio: float | None = None  # median of the per-repetition ratios ours / baseline
    target: str | None = None
    met: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compared(
    case: str,
    metric: str,
    unit: str,
    ours: Sequence[float],
    baseline: Sequence[float] | None = None,
    baseline_case: str | None = None,
) -> Row:
    """A row from per-repetition samples of ours and (optionally) the baseline."""
    row = Row(case, metric, unit, median(ours), [round(value, 3) for value in ours])
    if baseline:
        row.baseline = median(baseline)
        row.baseline_case = baseline_case
        ratios = [a / b for a, b in zip(ours, baseline, strict=True) if b]
        row.ratio = median(ratios) if ratios else None
    return row


@dataclass
class Section:
    """One benchmark; status is ok, pending (not written yet), skipped or failed."""

    name: str
    status: str = "ok"
    reason: str = ""
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "notes": self.notes,
            "rows": [row.to_dict() for row in self.rows],
        }


def rows_from_dict(data: dict[str, Any]) -> list[Row]:
    """Accept a section written elsewhere: either {"rows": [Row fields...]} or a flat
    mapping of metric name -> number (unit unknown)."""
    if isinstance(data.get("rows"), list):
        known = set(Row.__dataclass_fields__)
        return [Row(**{k: v for k, v in row.items() if k in known}) for row in data["rows"]]
    return [
        Row(case="", metric=str(name), unit="", value=float(value))
        for name, value in data.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]
