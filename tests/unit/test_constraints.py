"""constraints.txt pins the whole test install, every requirement of pyproject.toml at a
version its lower bound accepts, and every documented install uses it; so a fresh
install gets what was tested, and a dependency added or raised without regenerating the
file (.ci/freeze-constraints) fails here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)$")


def pins() -> dict[str, Version]:
    pinned: dict[str, Version] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"not an exact pin: {line!r}"
        name = canonicalize_name(match["name"])
        assert name not in pinned, f"pinned twice: {name}"
        pinned[name] = Version(match["version"])
    return pinned


def requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    named = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    found = [Requirement(text) for text in named]
    # A requirement for another platform or Python is not installed here, so not pinned.
    return [r for r in found if r.marker is None or r.marker.evaluate({"extra": "test"})]


def test_every_requirement_is_pinned_at_a_version_it_accepts() -> None:
    pinned = pins()
    wanted = requirements()
    assert len(wanted) > 10
    missing = [str(r) for r in wanted if canonicalize_name(r.name) not in pinned]
    assert not missing, f"not in constraints.txt (run .ci/freeze-constraints): {missing}"
    refused = {
        str(r): str(pinned[canonicalize_name(r.name)])
        for r in wanted
        if not r.specifier.contains(pinned[canonicalize_name(r.name)], prereleases=True)
    }
    assert not refused, f"pins below pyproject's bounds (run .ci/freeze-constraints): {refused}"


def test_the_project_itself_is_not_pinned() -> None:
    assert "reform-tracker" not in pins()


def test_every_documented_install_uses_the_constraints() -> None:
    readme = (ROOT / "README.md").read_text()
    set_up = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    installs = re.findall(r"pip install [^&\n]*", set_up)
    assert len(installs) == 2
    assert all("-c constraints.txt" in command for command in installs), installs
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = re.search(r"^COPY .*README.md.*$", dockerfile, re.MULTILINE)
    assert copied and "constraints.txt" in copied[0]
    docker_installs = re.findall(r"pip install [^&\n]*", dockerfile)
    assert docker_installs and all("-c constraints.txt" in c for c in docker_installs)
