"""A/B of the HTTP command path: two checkouts served side by side, measured in one run.

    git worktree add /tmp/before HEAD~1
    python -m bench.http_ab /tmp/before .            # 6 repetitions of 3 s

One redis-server (AOF, appendfsync always) and one gunicorn per checkout, each serving
that checkout's app exactly as the HTTP append section does. Every repetition posts
report-progress commands and no-op requests to both servers, in alternating order, so
the host's noise falls on both alike. Prints, per checkout, the medians of the
throughput ratio to its own no-op and of the gunicorn workers' CPU time per request
(from /proc). The checkouts need the same dependencies as this one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from bench.http_append import CONNECTIONS, PROGRESS
from bench.http_load import post_load
from bench.http_server import gunicorn_process, started_milestones
from bench.settings import Settings
from bench.workloads import BENCH_KEYS
from service.bootstrap import bootstrap
from service.runtime.config import Config
from service.runtime.redis_server import RedisServer

KINDS = ("append", "noop")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process and its children (gunicorn's workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0.0
    for process in [pid, *map(int, children)]:
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http_ab")
    parser.add_argument("checkouts", nargs=2, type=Path, help="two source trees, A then B")
    parser.add_argument("--repetitions", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=3.0)
    options = parser.parse_args()
    checkouts = [path.resolve() for path in options.checkouts]
    with tempfile.TemporaryDirectory(prefix="rt-http-ab-") as folder:
        server = RedisServer(Path(folder)).start()
        try:
            settings = Settings(server.url, False, options.repetitions, options.seconds)
            rates, cpu = measure(settings, checkouts, Path(folder))
        finally:
            server.stop()
    for label, checkout in zip("AB", checkouts, strict=True):
        ratios = [a / n for a, n in zip(*(rates[checkout][kind] for kind in KINDS), strict=True)]
        print(
            f"{label} {checkout}: command {statistics.median(rates[checkout]['append']):,.0f}"
            f" requests/s, no-op {statistics.median(rates[checkout]['noop']):,.0f};"
            f" ratio {statistics.median(ratios):.3f} ({', '.join(f'{r:.2f}' for r in ratios)});"
            f" CPU per request {statistics.median(cpu[checkout]['append']):.2f} ms,"
            f" no-op {statistics.median(cpu[checkout]['noop']):.2f} ms"
        )


Samples = dict[Path, dict[str, list[float]]]  # checkout -> kind -> one value per repetition


def measure(settings: Settings, checkouts: list[Path], folder: Path) -> tuple[Samples, Samples]:
    services = bootstrap(Config(redis_url=settings.redis_url, key_prefix=BENCH_KEYS.prefix))
    overseer = services.tokens.create("overseer", None, "bench")[1]
    secret, reporter = services.tokens.create("reporter", "PGO", "bench")
    rates: Samples = {checkout: {kind: [] for kind in KINDS} for checkout in checkouts}
    cpu: Samples = {checkout: {kind: [] for kind in KINDS} for checkout in checkouts}
    a, b = checkouts
    with (
        gunicorn_process(settings, folder / "a.log", a) as (url_a, process_a),
        gunicorn_process(settings, folder / "b.log", b) as (url_b, process_b),
    ):
        servers = {a: (url_a, process_a.pid), b: (url_b, process_b.pid)}
        for repetition in range(settings.repetitions):
            ids = started_milestones(services, overseer, reporter, 256)
            paths = {
                "append": [f"/milestones/{i}/report-progress" for i in ids],
                "noop": ["/bench/noop"],
            }
            flip = repetition % 2 == 1
            for checkout in reversed(checkouts) if flip else checkouts:
                url, pid = servers[checkout]
                for kind in reversed(KINDS) if flip else KINDS:
                    before = cpu_seconds(pid)
                    load = post_load(
                        url, paths[kind], secret, PROGRESS, CONNECTIONS, settings.seconds
                    )
                    if load.errors:
                        raise RuntimeError(f"{checkout} {kind}: {load.errors} requests failed")
                    rates[checkout][kind].append(load.per_second)
                    cpu[checkout][kind].append(1000 * (cpu_seconds(pid) - before) / load.requests)
    services.redis.close()
    return rates, cpu


if __name__ == "__main__":
    main()
