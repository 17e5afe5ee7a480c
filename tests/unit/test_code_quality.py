"""The style rules hold for the whole tree: ruff lint and format, and mypy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["service", "workers", "schemas", "bench", "tests"]

# Each test runs a whole tool over the tree: minutes on a cold cache, so not in the fast tier.
pytestmark = pytest.mark.processes


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize("argv", [["ruff", "check"], ["ruff", "format", "--check"]])
def test_ruff(argv: list[str]) -> None:
    done = run(*argv, *PACKAGES)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy() -> None:
    done = run("mypy", "service", "workers", "schemas")
    assert done.returncode == 0, done.stdout + done.stderr
