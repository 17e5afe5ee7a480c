"""An installed copy (``pip install .``, as the Dockerfile does) carries every file the
service reads at run time: the store's Lua scripts, templates and static files are data,
not modules, so only the package-data globs bring them along."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA_SUFFIXES = {".lua", ".html", ".css", ".js", ".svg"}


def test_every_data_file_of_the_service_is_declared_package_data() -> None:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = settings["tool"]["setuptools"]["package-data"]["service"]
    package = ROOT / "service"
    data = [p for p in package.rglob("*") if p.is_file() and p.suffix in DATA_SUFFIXES]
    assert any(p.suffix == ".lua" for p in data)
    undeclared = [
        str(p.relative_to(package))
        for p in data
        if not any(p.relative_to(package).match(pattern) for pattern in globs)
    ]
    assert undeclared == []
