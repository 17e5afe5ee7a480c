"""Child processes of `reform-tracker up`: start them, keep them running, stop them cleanly.

A child that exits on its own (a crash, a bug, a lost Redis it could not wait out) is
started again with the same command and environment, after an exponential backoff, so
that a child failing at once, again and again, does not spin: 0.5 s, 1 s, 2 s ... up to
10 s. A child that ran for a while before exiting starts again at the short delay.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from service.runtime.reconnect import Backoff

PR_SET_PDEATHSIG = 1
STOP_TIMEOUT = 30.0
# A child that ran this long before exiting is restarted without the accumulated backoff.
STEADY_SECONDS = 60.0
log = logging.getLogger("reform_tracker.up")


def die_with_parent() -> None:
    """Runs in the child before exec: if `up` is killed outright, the child gets SIGTERM
    instead of living on as an orphan that holds the port or the AOF."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)
    backoff: Backoff = field(default_factory=Backoff)
    restart_at: float | None = None  # set once it has exited


@dataclass
class Supervisor:
    children: dict[str, Child] = field(default_factory=dict)

    def spawn(self, name: str, argv: list[str], env: Mapping[str, str]) -> int:
        child = Child(list(argv), dict(env), _start(argv, env))
        self.children[name] = child
        return child.process.pid

    def exited(self) -> tuple[str, int] | None:
        """The first child that has exited, and its exit code."""
        for name, child in self.children.items():
            code = child.process.poll()
            if code is not None:
                return name, code
        return None

    def restart_exited(self) -> dict[str, int]:
        """Start again every child that exited and whose backoff has passed; their new
        pids by name."""
        restarted: dict[str, int] = {}
        now = time.monotonic()
        for name, child in self.children.items():
            code = child.process.poll()
            if code is None:
                continue
            if child.restart_at is None:
                if now - child.started > STEADY_SECONDS:
                    child.backoff.reset()
                delay = child.backoff.next_delay()
                child.restart_at = now + delay
                log.warning(
                    "the %s process (pid %d) exited with code %d; restarting it in %.1f s",
                    name,
                    child.process.pid,
                    code,
                    delay,
                )
            elif now >= child.restart_at:
                _kill_group(child.process.pid)  # what it left behind (work horses)
                child.process = _start(child.argv, child.env)
                child.started, child.restart_at = now, None
                restarted[name] = child.process.pid
                log.info("restarted the %s process: pid %d", name, child.process.pid)
        return restarted

    def stop_all(self, timeout: float = STOP_TIMEOUT) -> dict[str, int]:
        """SIGTERM every child (each shuts down gracefully), SIGKILL what outlives timeout."""
        for child in self.children.values():
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        codes: dict[str, int] = {}
        for name, child in self.children.items():
            process = child.process
            try:
                codes[name] = process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill_group(process.pid)
                codes[name] = process.wait()
            # Grandchildren (gunicorn workers, rq work horses) share the child's group.
            _kill_group(process.pid)
        return codes


def _start(argv: list[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    # Own process group: a Ctrl-C in the terminal reaches only `up`, which then stops
    # each child once, in order, instead of everyone at once.
    return subprocess.Popen(argv, env=dict(env), process_group=0, preexec_fn=die_with_parent)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
