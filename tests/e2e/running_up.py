"""Running `reform-tracker up` as a child process, and talking to it over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.runtime.redis_server import free_port

CLI = str(Path(sys.executable).with_name("reform-tracker"))
START_TIMEOUT = 120.0


@dataclass
class Up:
    process: subprocess.Popen[bytes]
    port: int
    output: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def announced(self) -> dict[str, int]:
        """Wait for the start-up banner; return the child pids it lists."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            text = self.output.read_text()
            for line in text.splitlines():
                if line.startswith("Processes: "):
                    pairs = [item.split(" pid ") for item in line[11:].split(", ")]
                    return {name: int(pid) for name, pid in pairs}
            assert self.process.poll() is None, f"up exited early:\n{self.logs()}"
            time.sleep(0.1)
        raise AssertionError(f"up did not announce itself:\n{self.logs()}")

    def logs(self) -> str:
        return self.output.read_text() + self.output.with_suffix(".err").read_text()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=90)


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RT_") and k != "REDIS_URL"}
    env["RT_RATE_LIMIT"] = ""  # this test is not about throttling
    return env


def start_up(data_dir: Path, logs: Path) -> Up:
    port = free_port()
    output = logs / f"up-{port}.out"
    process = subprocess.Popen(
        [CLI, "up", "--port", str(port), "--data-dir", str(data_dir), "--workers", "1"],
        env=environment(),
        stdout=output.open("wb"),
        stderr=output.with_suffix(".err").open("wb"),
    )
    return Up(process, port, output)


def create_admin_token(data_dir: Path) -> str:
    done = subprocess.run(
        [CLI, "token", "create", "--role", "admin", "--data-dir", str(data_dir), "--json"],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token: str = json.loads(done.stdout)["token"]
    return token


def call(up: Up, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        up.base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def created(up: Up, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = call(up, "POST", path, token, body)
    assert status == 201, answer
    return dict(answer)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def descendants_running(data_dir: Path) -> list[int]:
    """Processes anywhere that were started for this data folder (gunicorn workers,
    RQ work horses included: they inherit RT_DATA_DIR)."""
    marker = f"RT_DATA_DIR={data_dir.resolve()}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found
