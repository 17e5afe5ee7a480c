"""A Redis for a benchmark section: the harness's when it passes one, else a fresh
redis-server (AOF, fsync always) in a temporary folder, stopped afterwards; and a
section's own command line."""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from service.runtime.redis_server import RedisServer


@contextmanager
def redis_url_or_own(redis_url: str | None, name: str) -> Iterator[str]:
    if redis_url is not None:
        yield redis_url
        return
    with tempfile.TemporaryDirectory(prefix=f"rt-bench-{name}-") as data_dir:
        server = RedisServer(Path(data_dir)).start()
        try:
            yield server.url
        finally:
            server.stop()


def run_section_from_command_line(
    prog: str, run: Callable[[bool, str | None], dict[str, Any]], quick_help: str
) -> None:
    """``python -m bench.<section> [--quick] [--redis-url URL]``: the section's JSON."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--redis-url", help="use this Redis instead of starting one")
    options = parser.parse_args()
    # default=str: dates and other plain values some sections report.
    print(json.dumps(run(options.quick, options.redis_url), indent=2, default=str))
