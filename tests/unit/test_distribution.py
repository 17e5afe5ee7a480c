"""What `pip install` puts into site-packages: the service's packages, never the
benchmarks (run from a checkout with `python -m bench`) or the tests."""

from __future__ import annotations

import warnings
from importlib.metadata import distribution
from pathlib import Path

from setuptools.config.pyprojecttoml import read_configuration

ROOT = Path(__file__).resolve().parents[2]
INSTALLED = {"service", "workers", "schemas"}


def _top_level(packages: list[str]) -> set[str]:
    return {name.split(".", 1)[0] for name in packages}


def test_the_build_packages_the_service_and_not_the_benchmarks() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # setuptools calls its pyproject support beta
        config = read_configuration(ROOT / "pyproject.toml", expand=True)
    packages = config["tool"]["setuptools"]["packages"]
    assert _top_level(packages) == INSTALLED
    assert "service.runtime" in packages


def test_the_installed_distribution_has_no_benchmarks() -> None:
    top_level = set((distribution("reform-tracker").read_text("top_level.txt") or "").split())
    assert top_level == INSTALLED, "installed from an older pyproject.toml? run pip install -e ."


def test_the_build_ships_every_language_catalogue() -> None:
    """The .po catalogues are package data (compiled at first use, docs/languages.md)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = read_configuration(ROOT / "pyproject.toml", expand=True)
    patterns = config["tool"]["setuptools"]["package-data"]["service"]
    shipped = {p for pattern in patterns for p in (ROOT / "service").glob(pattern)}
    for language in ("kk", "ru", "en"):
        assert ROOT / f"service/translations/{language}/LC_MESSAGES/messages.po" in shipped
