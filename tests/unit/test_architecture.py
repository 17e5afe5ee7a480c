"""The architecture holds: the import-linter contracts in pyproject.toml are kept, they
would catch a broken layer, and no context takes another's private names."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("service", "workers", "schemas")
CONTEXTS = ("ledger", "tracking", "dashboards", "alerts", "access", "runtime")
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH first, so the packages under ``root`` are the ones analysed.
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_import_contracts_are_kept() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("service/ledger/keys.py", "import service.tracking.tracker", "no context imports upward"),
        ("service/tracking/domain/milestone.py", "import redis", "Domain modules do no I/O"),
        ("service/api/tokens.py", "import redis", "reach Redis only through"),
        ("service/ledger/reads.py", "import service.ledger.eventstore", "No import cycles"),
    ],
)
def test_a_broken_rule_is_caught(tmp_path: Path, module: str, line: str, contract: str) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0, done.stdout
    broken = done.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, done.stdout


def _owner(module: str) -> str:
    """The context (or adapter package) a module belongs to."""
    parts = module.split(".")
    if parts[0] == "service" and len(parts) > 1 and parts[1] in CONTEXTS:
        return ".".join(parts[:2])
    return ".".join(parts[:2]) if parts[0] == "service" else parts[0]


def private_imports_across_contexts(root: Path) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.ImportFrom) or not node.module:
                    continue
                if _owner(node.module) == _owner(module):
                    continue
                for alias in node.names:
                    if alias.name.startswith("_"):
                        found.append(f"{module} takes {alias.name} from {node.module}")
    return found


def test_no_context_takes_another_contexts_private_names() -> None:
    assert private_imports_across_contexts(ROOT) == []


def test_the_private_name_check_sees_a_violation(tmp_path: Path) -> None:
    (tmp_path / "service" / "ledger").mkdir(parents=True)
    (tmp_path / "service" / "dashboards").mkdir(parents=True)
    (tmp_path / "service" / "ledger" / "seal.py").write_text(
        "from service.ledger.appends import _text\n"  # its own context: allowed
    )
    (tmp_path / "service" / "dashboards" / "projector.py").write_text(
        "from service.ledger.appends import _text, position_head\n"
    )
    assert private_imports_across_contexts(tmp_path) == [
        "service.dashboards.projector takes _text from service.ledger.appends"
    ]
