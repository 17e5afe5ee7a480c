"""The store-append workload alone, for a profiler to wrap.

    py-spy record --subprocesses --idle --format raw -o append16.raw -- \\
        python -m bench.profile_append --clients 16 --seconds 5
    python -m bench.profile_append --clients 1 --profile   # pyinstrument, one process

Starts its own redis-server (AOF, appendfsync always) like the harness, runs the same
clients as the Store append section (with a sealer process alongside), and prints
events/s, how many events were left unsealed when the clients stopped, and the
redis-server pid (for `strace -c -e trace=fdatasync -p <pid>`).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.clients import run_clients
from bench.workloads import event_store_clients, sealing
from service.runtime.redis_server import RedisServer


def profile_one_client(url: str, seconds: float) -> None:
    from pyinstrument import Profiler

    append = event_store_clients(url)(0)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        append(count)
        count += 1
    profiler.stop()
    print(f"{count / seconds:,.0f} events/s under the profiler")
    print(profiler.output_text(unicode=False, show_all=False))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_append")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--events-per-call", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="pyinstrument, one client")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rt-profile-") as data_dir:
        server = RedisServer(Path(data_dir)).start()
        try:
            assert server.process is not None
            print(f"redis-server pid {server.process.pid}", flush=True)
            if options.profile:
                profile_one_client(server.url, options.seconds)
                return
            factory = event_store_clients(server.url, options.events_per_call)
            with sealing(server.url) as store:
                result = run_clients(factory, options.clients, options.seconds)
                lag = store.head_position() - store.sealer.sealed_position()
            print(
                f"{options.clients} clients: {result.per_second * options.events_per_call:,.0f}"
                f" events/s, {lag} unsealed when they stopped"
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
