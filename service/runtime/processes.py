"""Child processes of `reform-tracker up`: start them, watch them, stop them cleanly."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

PR_SET_PDEATHSIG = 1
STOP_TIMEOUT = 30.0


def die_with_parent() -> None:
    """Runs in the child before exec: if `up` is killed outright, the child gets SIGTERM
    instead of living on as an orphan that holds the port or the AOF."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Supervisor:
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def spawn(self, name: str, argv: list[str], env: Mapping[str, str]) -> int:
        # Own process group: a Ctrl-C in the terminal reaches only `up`, which then
        # stops each child once, in order, instead of everyone at once.
        child = subprocess.Popen(argv, env=dict(env), process_group=0, preexec_fn=die_with_parent)
        self.children[name] = child
        return child.pid

    def exited(self) -> tuple[str, int] | None:
        """The first child that has exited, and its exit code."""
        for name, child in self.children.items():
            code = child.poll()
            if code is not None:
                return name, code
        return None

    def stop_all(self, timeout: float = STOP_TIMEOUT) -> dict[str, int]:
        """SIGTERM every child (each shuts down gracefully), SIGKILL what outlives timeout."""
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        codes: dict[str, int] = {}
        for name, child in self.children.items():
            try:
                codes[name] = child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill_group(child.pid)
                codes[name] = child.wait()
            # Grandchildren (gunicorn workers, rq work horses) share the child's group.
            _kill_group(child.pid)
        return codes


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
