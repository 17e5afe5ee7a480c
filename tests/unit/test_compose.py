"""docker-compose.yml must run what `reform-tracker up` runs, against a durable Redis,
and every command it names must be a real entry point of this package."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from service.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("api", "worker", "scheduler")
# What the service requires of every Redis server that may hold its events.
DURABLE = {"appendonly": "yes", "appendfsync": "always", "maxmemory-policy": "noeviction"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def options(command: list[str]) -> dict[str, str]:
    """``--name value`` pairs of a command line."""
    return {
        flag.removeprefix("--"): value
        for flag, value in zip(command, command[1:], strict=False)
        if flag.startswith("--")
    }


def test_every_part_of_a_deployment_is_a_service(compose: dict[str, Any]) -> None:
    assert {"redis", *APP_SERVICES} <= set(compose["services"])


def test_redis_fsyncs_every_write_and_never_evicts(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    command = [str(part) for part in redis["command"]]
    assert command[0] == "redis-server"
    assert options(command) == {
        **DURABLE,
        # 0 alone, 1 with the ha profile's ha.env.
        "min-replicas-to-write": "${RT_MIN_REPLICAS_TO_WRITE:-0}",
    }
    volume, _, mount = redis["volumes"][0].partition(":")
    assert mount == "/data", "the redis image keeps its AOF in /data"
    assert volume in compose["volumes"], "the AOF must live in a named volume"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_use_the_compose_redis(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert urlsplit(service["environment"]["RT_REDIS_URL"]).hostname == "redis"
    assert service["build"] == "."


def gunicorn_config(command: list[str]) -> str:
    """The config module a gunicorn command line names (``-c python:<module>``)."""
    flags = {"-c", "--config"}
    named = [value for flag, value in zip(command, command[1:], strict=False) if flag in flags]
    assert len(named) == 1 and named[0].startswith("python:"), command
    return named[0].removeprefix("python:")


def test_api_runs_the_wsgi_app_under_gunicorn(compose: dict[str, Any]) -> None:
    command = compose["services"]["api"]["command"]
    assert command[0] == "gunicorn"
    assert "0.0.0.0:8080" in command
    module, attribute = command[-1].split(":")
    spec = importlib.util.find_spec(module)
    assert spec and spec.origin
    # Parsed, not imported: importing the WSGI module builds the app against Redis.
    tree = ast.parse(Path(spec.origin).read_text())
    assigned = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert attribute in assigned


def test_gunicorn_takes_its_settings_from_the_one_config_module(compose: dict[str, Any]) -> None:
    image_command = ast.literal_eval(
        (ROOT / "Dockerfile").read_text().split("\nCMD ", 1)[1].strip()
    )
    module = gunicorn_config(compose["services"]["api"]["command"])
    assert gunicorn_config(image_command) == module == "service.api.gunicorn_config"
    settings = importlib.import_module(module)
    assert callable(settings.child_exit)
    assert settings.logconfig_dict["root"]["handlers"]


def test_api_and_workers_share_the_multiprocess_metrics_folder(compose: dict[str, Any]) -> None:
    mounts = set()
    for name in ("api", "worker"):
        service = compose["services"][name]
        folder = service["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        volume = next(v for v in service["volumes"] if v.partition(":")[2] == folder)
        mounts.add(volume.partition(":")[0])
    assert len(mounts) == 1, "api and worker must mount the same volume"
    assert mounts <= set(compose["volumes"])


@pytest.mark.parametrize("name", ["worker", "scheduler"])
def test_background_services_run_cli_subcommands(compose: dict[str, Any], name: str) -> None:
    command = compose["services"][name]["command"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts[command[0]] == "service.cli:main"
    parsed = build_parser().parse_args(command[1:])
    assert parsed.command == name
    assert callable(parsed.run)


def test_workers_scale_out_but_the_scheduler_does_not(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["worker"]["deploy"]["replicas"] >= 2
    # Every scheduler replica would enqueue each periodic job again.
    assert services["scheduler"].get("deploy", {}).get("replicas", 1) == 1


def test_the_image_installs_the_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("FROM python:3.11-slim")
    assert "pip install --no-cache-dir ." in dockerfile


@pytest.mark.parametrize("name", ["api", "worker"])
def test_the_key_sealing_webhook_secrets_reaches_the_containers_as_a_file(
    compose: dict[str, Any], name: str
) -> None:
    service = compose["services"][name]
    folder, _, secret = service["environment"]["RT_SECRETS_KEY_FILE"].rpartition("/")
    assert folder == "/run/secrets" and secret in service["secrets"]
    assert "file" in compose["secrets"][secret], "kept outside Redis and the image"


# --- the ha profile: replicas and Sentinels around `redis` (docs/operations.md) ---

REPLICAS = ("redis-replica-1", "redis-replica-2")
SENTINELS = ("sentinel-1", "sentinel-2", "sentinel-3")


def ha_env() -> dict[str, str]:
    lines = (ROOT / "ha.env").read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line and not line.startswith("#")]
    return {name: value for name, value in pairs}


def test_the_ha_profile_adds_two_replicas_and_three_sentinels(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in (*REPLICAS, *SENTINELS):
        assert services[name]["profiles"] == ["ha"], name
    for name in ("redis", *APP_SERVICES):
        assert "profiles" not in services[name], "the single-Redis deployment is the default"


@pytest.mark.parametrize("name", REPLICAS)
def test_every_replica_is_as_durable_as_the_primary_and_guards_its_writes(
    compose: dict[str, Any], name: str
) -> None:
    """Any replica may be promoted: the durability check holds it to the same rules."""
    replica = compose["services"][name]
    command = [str(part) for part in replica["command"]]
    assert command[0] == "redis-server"
    assert options(command) == {
        **DURABLE,
        "min-replicas-to-write": "1",
        "replicaof": "redis",
    }
    assert command[command.index("--replicaof") + 2] == "6379"
    volume = replica["volumes"][0].partition(":")[0]
    assert volume in compose["volumes"] and volume != "redis-data", "an AOF of its own"


@pytest.mark.parametrize("name", SENTINELS)
def test_sentinels_watch_the_primary_with_a_majority_quorum(
    compose: dict[str, Any], name: str
) -> None:
    script = compose["services"][name]["command"][-1]
    assert "redis-server /data/sentinel.conf --sentinel" in script
    service = ha_env()["RT_REDIS_SERVICE"]
    quorum = len(SENTINELS) // 2 + 1
    assert f"sentinel monitor {service} redis 6379 {quorum}" in script
    assert f"sentinel down-after-milliseconds {service}" in script


def test_ha_env_points_every_process_at_the_sentinels(compose: dict[str, Any]) -> None:
    env = ha_env()
    assert env["RT_MIN_REPLICAS_TO_WRITE"] == "1"
    named = {f"{name}:26379" for name in SENTINELS}
    assert set(env["RT_REDIS_SENTINELS"].split(",")) == named
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        assert environment["RT_REDIS_SENTINELS"] == "${RT_REDIS_SENTINELS:-}"
        assert environment["RT_REDIS_SERVICE"] == "${RT_REDIS_SERVICE:-}"
