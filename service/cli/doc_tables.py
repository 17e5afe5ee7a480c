"""README tables generated from the code, so the documentation cannot drift from it:
the settings (Config fields and the comments above them) and the CLI subcommands.

    python -m service.cli.doc_tables          rewrite the tables in README.md
    python -m service.cli.doc_tables --check  exit 1 if README.md is out of date
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from dataclasses import MISSING, fields
from pathlib import Path

from service.runtime.config import Config

README = Path(__file__).resolve().parents[2] / "README.md"
FIELD = re.compile(r"^    (\w+): ")
NOT_SET_BY_ENV = {"extra"}


def descriptions() -> dict[str, str]:
    """Field name -> the comment block above it (a block covers the fields that follow it)."""
    found: dict[str, str] = {}
    comment: list[str] = []
    block = ""
    for line in inspect.getsource(Config).splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("# "))
            continue
        if comment:
            block, comment = " ".join(comment), []
        if match := FIELD.match(line):
            found[match.group(1)] = block
    return found


def shown_default(value: object) -> str:
    if isinstance(value, bool):
        return "`1`" if value else "`0`"
    if isinstance(value, tuple):
        return "`" + ",".join(str(part) for part in value) + "`"
    return f"`{value}`" if value != "" else "(empty)"


def config_table() -> str:
    described = descriptions()
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for field in fields(Config):
        if field.name in NOT_SET_BY_ENV or field.default is MISSING:
            continue
        name = f"`RT_{field.name.upper()}`"
        if field.name == "redis_url":
            name += " (or `REDIS_URL`)"
        rows.append(f"| {name} | {shown_default(field.default)} | {described[field.name]} |")
    return "\n".join(rows)


def cli_table() -> str:
    from service.cli import COMMANDS  # the CLI imports most of the service

    rows = ["| Command | What it does |", "|---|---|"]
    rows += [f"| `reform-tracker {c.name}` | {c.help[0].upper()}{c.help[1:]}. |" for c in COMMANDS]
    return "\n".join(rows)


TABLES: dict[str, Callable[[], str]] = {"config-table": config_table, "cli-table": cli_table}


def rewritten(readme: str) -> str:
    for name, generate in TABLES.items():
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        before, found, rest = readme.partition(start)
        if not found:
            raise ValueError(f"README.md has no {start} marker")
        _, _, after = rest.partition(end)
        readme = f"{before}{start}\n{generate()}\n{end}{after}"
    return readme


def main(argv: list[str]) -> int:
    current = README.read_text()
    wanted = rewritten(current)
    if "--check" in argv:
        if wanted != current:
            print(
                "README.md tables are stale: run python -m service.cli.doc_tables",
                file=sys.stderr,
            )
        return 0 if wanted == current else 1
    README.write_text(wanted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
