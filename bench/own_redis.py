"""A Redis for a benchmark section: the harness's when it passes one, else a fresh
redis-server (AOF, fsync always) in a temporary folder, stopped afterwards."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
