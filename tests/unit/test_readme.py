"""The README is what a new user follows: its set-up commands, the CI's test command and
its generated tables must match the code."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from service.cli import doc_tables

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
CODE_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def set_up_section() -> str:
    return README.split("## Set up", 1)[1].split("\n## ", 1)[0]


def test_set_up_is_exactly_two_commands_run_then_test() -> None:
    blocks = CODE_BLOCK.findall(set_up_section())
    assert len(blocks) == 2
    run, test = (block.strip() for block in blocks)
    assert "\n" not in run and "\n" not in test
    assert run.endswith("reform-tracker up")
    assert test.endswith("-m pytest") and "'.[test]'" in test


@pytest.mark.processes
def test_ci_runs_exactly_the_readme_test_command() -> None:
    printed = subprocess.run(
        ["bash", str(ROOT / ".ci" / "run"), "--print-test-command"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    assert printed == CODE_BLOCK.findall(set_up_section())[1].strip()


def test_every_setting_is_described() -> None:
    described = doc_tables.descriptions()
    assert all(described[name] for name in described if name not in doc_tables.NOT_SET_BY_ENV)


def test_generated_tables_are_up_to_date() -> None:
    assert doc_tables.rewritten(README) == README, "run: python -m service.cli.doc_tables"
