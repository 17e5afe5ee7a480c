"""HTTP load generators: wrk (C, Debian package) when installed, else Python processes.

Both POST a JSON body with a bearer token to paths chosen round-robin from a list, so
concurrent connections spread over many milestones instead of fighting over one.
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
local body = '%(body)s'
local threads = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"

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
        return f"wrk ({wrk}, {WRK_THREADS} threads, Lua script for POST bodies)"
    return "Python http.client, one process per connection (wrk not installed)"


def post_load(
    base_url: str,
    paths: list[str],
    token: str,
    body: dict[str, object],
    connections: int,
    seconds: float,
) -> Load:
    if shutil.which("wrk"):
        return _wrk(base_url, paths, token, json.dumps(body), connections, seconds)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    return _python(base_url, "POST", paths, headers, json.dumps(body), connections, seconds)


def get_load(
    base_url: str, paths: list[str], headers: dict[str, str], connections: int, seconds: float
) -> Load:
    """GET ``paths`` round-robin from Python client processes (the readers' latency)."""
    return _python(base_url, "GET", paths, headers, None, connections, seconds)


def _wrk(
    base_url: str, paths: list[str], token: str, body: str, connections: int, seconds: float
) -> Load:
    # wrk takes whole seconds only.
    duration = max(1, round(seconds))
    script = WRK_SCRIPT % {
        "paths": ", ".join(f'"{path}"' for path in paths),
        "body": body,
        "token": token,
        "threads": WRK_THREADS,
    }
    with tempfile.TemporaryDirectory(prefix="rt-wrk-") as folder:
        script_path = Path(folder) / "post.lua"
        script_path.write_text(script)
        completed = subprocess.run(
            [
                "wrk",
                "-t",
                str(WRK_THREADS),
                "-c",
                str(connections),
                "-d",
                f"{duration}s",
                "--timeout",
                "10s",
                "-s",
                str(script_path),
                base_url,
            ],
            capture_output=True,
            text=True,
            timeout=duration + 60,
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
