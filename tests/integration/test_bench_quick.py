"""The benchmark harness runs end to end in quick mode, so it never rots.

Speed is deliberately not asserted: the machine is shared and timed tests would be
flaky. What is asserted is that every section ran (or says why not) and produced
well-formed, positive figures next to their baselines.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OWN_SECTIONS = {"Store append", "Peer (eventsourcing)", "HTTP append", "Bulk report", "Memory"}


@pytest.mark.slow
def test_quick_benchmark_produces_well_formed_results(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    assert "| Case | Metric | Value |" in completed.stdout

    results = json.loads(out.read_text())
    assert results["mode"] == "quick" and results["repetitions"] == 3
    assert results["machine"]["appendfsync"] == "always"
    assert results["machine"]["appendonly"] == "yes"
    sections = {section["name"]: section for section in results["sections"]}
    assert set(sections) >= OWN_SECTIONS
    assert {"Projector", "Overdue scan"} <= set(sections)
    for name in ("Merkle tree", "Checkpoint latency", "Charts"):
        assert sections[name]["status"] == "ok", (name, sections[name]["reason"])

    for name, section in sections.items():
        assert section["status"] in {"ok", "pending", "skipped"}, (name, section["reason"])
        if section["status"] != "ok":
            assert section["reason"], name
            continue
        assert section["rows"], name
        for row in section["rows"]:
            # The sealer's lag may well be nothing; every other figure is positive.
            lag = row["metric"] == "unsealed when the clients stopped"
            assert row["value"] > 0 or (lag and row["value"] == 0), (name, row)
            assert len(row["samples"]) == 3 or name not in OWN_SECTIONS, (name, row)
            if row["baseline"] is not None:
                assert row["baseline"] > 0 and row["ratio"] > 0, (name, row)
    for name in OWN_SECTIONS - {"Peer (eventsourcing)"}:
        assert sections[name]["status"] == "ok", (name, sections[name]["reason"])
    store_cases = {row["case"] for row in sections["Store append"]["rows"]}
    assert {f"EventStore.append, {n} client{'s' if n > 1 else ''}" for n in (1, 4, 16)} <= (
        store_cases
    )


@pytest.mark.slow
def test_the_http_ab_tool_compares_two_checkouts() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.http_ab", ".", ".", "--repetitions", "1", "--seconds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    lines = completed.stdout.splitlines()
    assert [line[:2] for line in lines] == ["A ", "B "]
    for line in lines:
        assert "requests/s" in line and "CPU per request" in line
        cpu = float(line.split("CPU per request ")[1].split(" ms")[0])
        assert cpu > 0, line
