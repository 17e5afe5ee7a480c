"""The terminal table (also pasted into docs/benchmarks.md, hence Markdown)."""

from __future__ import annotations

from typing import Any

HEADER = ["Case", "Metric", "Value", "Baseline (same run)", "Ratio", "Target", "Met"]


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    return f"{text} {unit}".strip()


def _met(value: bool | None) -> str:
    return {True: "yes", False: "NO", None: ""}[value]


def table(results: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for section in results["sections"]:
        status = "" if section["status"] == "ok" else f" — {section['status']}"
        reason = f": {section['reason']}" if section["reason"] else ""
        lines.append(f"| **{section['name']}**{status}{reason} |" + " |" * (len(HEADER) - 1))
        for row in section["rows"]:
            baseline = number(row["baseline"], row["unit"])
            if row.get("baseline_case"):
                baseline = f"{baseline} ({row['baseline_case']})"
            ratio = f"{row['ratio']:.2f}x" if row.get("ratio") is not None else "-"
            cells = [
                row["case"],
                row["metric"],
                number(row["value"], row["unit"]),
                baseline,
                ratio,
                row.get("target") or "",
                _met(row.get("met")),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def notes(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        f"mode {results['mode']}, median of {results['repetitions']} repetitions, "
        f"{results['seconds_per_run']:g} s per timed run, total {results['duration_seconds']} s",
        f"machine: {machine['cores']} cores, {machine['platform']}, Python {machine['python']}, "
        f"Redis {machine['redis_version']} (appendonly {machine['appendonly']}, appendfsync "
        f"{machine['appendfsync']}, {machine['maxmemory_policy']}), load average at start "
        f"{machine['load_average_at_start']}",
    ]
    for section in results["sections"]:
        lines += [f"{section['name']}: {note}" for note in section["notes"]]
    return "\n".join(f"- {line}" for line in lines)
