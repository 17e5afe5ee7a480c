"""HTTP load generators: wrk (C, Debian package) when installed, else Python processes.

Both send requests to paths chosen round-robin from a list, so concurrent connections
spread over many milestones or pages instead of fighting over one: POSTs of a JSON body
with a bearer token (post_load), or GETs with the given headers (get_load). wrk's own CPU
per request is a fraction of a Python client's, which on a small machine competes with
the server it measures.
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.clients import Operation, run_clients
from bench.results import percentile

WRK_THREADS = 2

WRK_SCRIPT = """
local paths = {%(paths)s}
local body = %(body)s
local threads = 0
wrk.method = "%(method)s"
%(headers)s

function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end

local sent = 0
function request()
  sent = sent + 1
  local path = paths[((sent * %(threads)d + offset) %% #paths) + 1]
  return wrk.format(nil, path, nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


@dataclass(frozen=True)
class Load:
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def generator_name() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return f"wrk ({wrk}, up to {WRK_THREADS} threads, Lua script for paths and bodies)"
    return "Python http.client, one process per connection (wrk not installed)"


def post_load(
    base_url: str,
    paths: list[str],
    token: str,
    body: dict[str, object],
    connections: int,
    seconds: float,
) -> Load:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    if shutil.which("wrk"):
        return _wrk(base_url, "POST", paths, headers, json.dumps(body), connections, seconds)
    return _python(base_url, "POST", paths, headers, json.dumps(body), connections, seconds)


def get_load(
    base_url: str, paths: list[str], headers: dict[str, str], connections: int, seconds: float
) -> Load:
    """GET ``paths`` round-robin (the readers' latency); a refused request (4xx, 5xx) or
    a timeout fails the run rather than count as an answer."""
    if not shutil.which("wrk"):
        return _python(base_url, "GET", paths, headers, None, connections, seconds)
    # A baseline read may take many seconds: wait for it as the Python clients do.
    load = _wrk(base_url, "GET", paths, headers, None, connections, seconds, timeout=60)
    if load.errors:
        raise RuntimeError(f"{load.errors} of {load.requests} GETs failed or were refused")
    return load


def _lua(text: str) -> str:
    """``text`` as a Lua string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _wrk(
    base_url: str,
    method: str,
    paths: list[str],
    headers: dict[str, str],
    body: str | None,
    connections: int,
    seconds: float,
    timeout: int = 10,
) -> Load:
    # wrk takes whole seconds only, and needs a connection for each thread.
    duration = max(1, round(seconds))
    threads = min(WRK_THREADS, connections)
    script = WRK_SCRIPT % {
        "paths": ", ".join(_lua(path) for path in paths),
        "body": "nil" if body is None else _lua(body),
        "method": method,
        "headers": "\n".join(f"wrk.headers[{_lua(k)}] = {_lua(v)}" for k, v in headers.items()),
        "threads": threads,
    }
    with tempfile.TemporaryDirectory(prefix="rt-wrk-") as folder:
        script_path = Path(folder) / "post.lua"
        script_path.write_text(script)
        completed = subprocess.run(
            [
                "wrk",
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{duration}s",
                "--timeout",
                f"{timeout}s",
                "-s",
                str(script_path),
                base_url,
            ],
            capture_output=True,
            text=True,
            timeout=duration + timeout + 60,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed: {completed.stderr or completed.stdout}")
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    return Load(
        per_second=summary["requests"] / (summary["duration_us"] / 1e6),
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        errors=summary["errors"],
        requests=summary["requests"],
    )


def _python(
    base_url: str,
    method: str,
    paths: list[str],
    headers: dict[str, str],
    body: str | None,
    connections: int,
    seconds: float,
) -> Load:
    host, port = base_url.removeprefix("http://").split(":")

    def factory(index: int) -> Operation:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)

        def send(n: int) -> None:
            path = paths[(n * connections + index) % len(paths)]
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 400:  # a refused request must not count as throughput
                raise RuntimeError(f"{method} {path} answered {response.status}")

        return send

    run = run_clients(factory, connections, seconds)
    return Load(
        run.per_second,
        percentile(run.latencies, 0.5) * 1000,
        percentile(run.latencies, 0.99) * 1000,
        0,  # any failure stopped the run above
        run.operations,
    )
