"""`reform-tracker up`: everything on one machine — Redis, API, worker and scheduler.

`up` keeps everything running: a child that exits is started again after a backoff
(service/runtime/processes.py), and so is the embedded Redis, on its port and data folder
(service/runtime/redis_server.py); meanwhile the API answers 503 with Retry-After and
the worker and scheduler wait for Redis. Only a failure before the API first answers
stops `up`: that is a setting to fix, not an accident to ride out.

The children share one folder for prometheus-client's multiprocess metrics (emptied at
start: the counts are those of this run), so the API's /metrics reports the totals of
every process. `up`'s own messages are log records, JSON on stderr like the children's;
stdout carries only the banner for the person who started it.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType

from service.bootstrap import bootstrap
from service.cli import keys
from service.cli.base import (
    CliError,
    add_connection_options,
    checked_client,
    cli_config,
    require_queue_redis,
)
from service.runtime.config import Config
from service.runtime.connection import described
from service.runtime.metrics import MULTIPROCESS_DIR
from service.runtime.processes import Supervisor
from service.runtime.reconnect import Backoff
from service.runtime.redis_server import EmbeddedRedis, RedisServerError
from service.runtime.secretbox import SecretsKeyError, ensure_key_file

API_START_TIMEOUT = 120.0
METRICS_DIR = "metrics"  # inside the data folder
log = logging.getLogger("reform_tracker.up")


def arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)
    parser.add_argument("--host", help="address the API listens on (default: RT_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="API port (default: RT_PORT or 8080)")
    parser.add_argument(
        "--workers", type=int, default=2, help="API (gunicorn) worker processes (default: 2)"
    )


def run(args: argparse.Namespace) -> int:
    overrides = {
        name: getattr(args, name) for name in ("host", "port") if getattr(args, name) is not None
    }
    config = cli_config(args, **overrides)
    require_queue_redis(config)  # its worker and scheduler would refuse it
    _require_free_port(config.host, config.port)
    keys.ensure(config)  # checkpoints are signed from the first start on
    embedded = None if config.has_redis else EmbeddedRedis(Path(config.data_dir))
    try:
        if embedded:
            try:
                config = config.with_(redis_url=embedded.start().url)
            except RedisServerError as error:
                raise CliError(str(error)) from None
        checked_client(config, wait=args.wait).close()
        config = _seal_secrets(config)
        return _serve(config, args.workers, embedded)
    finally:
        if embedded:
            embedded.stop()  # last, after every process that writes to it has exited


def _seal_secrets(config: Config) -> Config:
    """The key that seals webhook secrets, created in the data folder on first start
    unless configured; then secrets left in the clear by an earlier version are sealed."""
    try:
        path = ensure_key_file(config)
        if path:
            config = config.with_(secrets_key_file=str(path))
        services = bootstrap(config)
        try:
            changed, rewriting = services.alerts.reseal_secrets()
        finally:
            services.redis.close()
    except (SecretsKeyError, OSError) as error:
        raise CliError(f"webhook secrets: {error}") from None
    if changed:
        log.info("sealed %d webhook secrets (AOF rewrite started: %s)", changed, rewriting)
    return config


def _serve(config: Config, api_workers: int, embedded: EmbeddedRedis | None) -> int:
    stop_requested: list[int] = []

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop_requested.append(signum)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    url = f"http://{config.host}:{config.port}"
    env = {
        **os.environ,
        "RT_REDIS_URL": config.redis_url,
        "RT_DATA_DIR": str(Path(config.data_dir).resolve()),
        **({"RT_SECRETS_KEY_FILE": config.secrets_key_file} if config.secrets_key_file else {}),
        "RT_BASE_URL": os.environ.get("RT_BASE_URL", url),
        MULTIPROCESS_DIR: str(_empty_metrics_dir(Path(config.data_dir))),
        "WEB_CONCURRENCY": str(api_workers),
    }
    cli = [sys.executable, "-m", "service.cli"]
    supervisor = Supervisor()
    pids = {
        "api": supervisor.spawn(
            "api",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "python:service.api.gunicorn_config",
                "--bind",
                f"{config.host}:{config.port}",
                "service.wsgi:app",
            ],
            env,
        ),
        "worker": supervisor.spawn("worker", [*cli, "worker"], env),
        "scheduler": supervisor.spawn("scheduler", [*cli, "scheduler"], env),
    }
    if embedded and embedded.process:
        pids["redis"] = embedded.process.pid
    failure = None
    try:
        failure = _wait_for_api(url, supervisor, stop_requested)
        if failure is None:
            _announce(config, url, pids, embedded is not None)
        keeper = _RedisKeeper(embedded)
        while failure is None and not stop_requested:
            time.sleep(0.2)
            keeper.keep_running()
            supervisor.restart_exited()
    finally:
        log.info("stopping API, worker and scheduler")
        supervisor.stop_all()
    if failure:
        name, code = failure
        raise CliError(
            f"the {name} process exited with code {code}; everything was stopped", exit_code=1
        )
    log.info("stopped")
    return 0


class _RedisKeeper:
    """Starts the embedded Redis again when it dies, with backoff between failed tries."""

    def __init__(self, embedded: EmbeddedRedis | None) -> None:
        self.embedded = embedded
        self.backoff = Backoff()
        self.next_try = 0.0

    def keep_running(self) -> None:
        embedded = self.embedded
        if embedded is None or not embedded.died or time.monotonic() < self.next_try:
            return
        assert embedded.process is not None
        log.warning(
            "the redis process (pid %d) exited with code %s; starting it again on %s",
            embedded.process.pid,
            embedded.process.returncode,
            embedded.url,
        )
        try:
            embedded.revive()
        except RedisServerError as error:
            delay = self.backoff.next_delay()
            self.next_try = time.monotonic() + delay
            log.error("redis did not start again (retrying in %.1f s): %s", delay, error)
            return
        self.backoff.reset()
        assert embedded.process is not None
        log.info("redis is running again: pid %d", embedded.process.pid)


def _empty_metrics_dir(data_dir: Path) -> Path:
    """The multiprocess metrics folder, without the files of an earlier run (whose
    processes are gone: their pids may come back as new processes)."""
    folder = (data_dir / METRICS_DIR).resolve()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _wait_for_api(
    url: str, supervisor: Supervisor, stop_requested: list[int]
) -> tuple[str, int] | None:
    deadline = time.monotonic() + API_START_TIMEOUT
    while not stop_requested and time.monotonic() < deadline:
        if exited := supervisor.exited():
            return exited
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return None
        except urllib.error.HTTPError:
            return None  # it answers; health is the API's own business
        except OSError:
            time.sleep(0.1)
    if stop_requested:
        return None
    raise CliError(f"the API did not answer at {url} within {API_START_TIMEOUT:.0f} s", exit_code=1)


def _announce(config: Config, url: str, pids: dict[str, int], embedded: bool) -> None:
    data_dir = Path(config.data_dir).resolve()
    cli = _invocation()
    if embedded:
        store = f"embedded Redis {config.redis_url}, data in {data_dir} (AOF, fsync always)"
        default_dir = data_dir == Path(Config.data_dir).resolve()
        target = "" if default_dir else f" --data-dir {data_dir}"
    else:
        store = f"Redis {described(config)}"
        target = "  (with the same RT_REDIS_* settings)"
    print(
        f"Reform Tracker is up at {url}  (API docs: {url}/docs)\n"
        f"Store: {store}\n"
        f"Create an admin token:  {cli} token create --role admin{target}\n"
        f"Load the example programme:  {cli} demo{target}\n"
        "Processes: " + ", ".join(f"{name} pid {pid}" for name, pid in pids.items()) + "\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )


def _invocation() -> str:
    """The command as the user typed it (e.g. .venv/bin/reform-tracker), so hints paste."""
    script = Path(sys.argv[0])
    if script.name != "reform-tracker" or shutil.which("reform-tracker") == str(script.resolve()):
        return "reform-tracker"
    relative = os.path.relpath(script)
    return relative if not relative.startswith("..") else str(script)


def _require_free_port(host: str, port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise CliError(
                f"cannot listen on {host}:{port} ({error.strerror}); "
                "choose another port with --port"
            ) from None
