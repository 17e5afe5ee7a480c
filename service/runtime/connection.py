"""Redis connections for the service, and the errors a lost Redis raises.

This is the one place a connection to the deployment's Redis is made, whichever way it
is reached: a URL (RT_REDIS_URL), or Sentinels that name the current primary
(RT_REDIS_SENTINELS and RT_REDIS_SERVICE); and to the Redis of RQ's queues when they are
kept apart from the log (RT_QUEUE_REDIS_URL). Through Sentinel, every new connection
asks a Sentinel where the primary is, and a connection to a primary that was demoted
fails with a ConnectionError (redis-py turns its READONLY answer into one), so after a
failover the next command reconnects to the new primary by itself; so does one that
finds the primary refusing writes for want of replicas (see PrimaryConnection).

Adapters (the API, the CLI) turn these errors into a 503 or a one-line message; they
name them through this module instead of importing redis themselves.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, cast

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.connection import parse_url
from redis.exceptions import (
    AskError,
    ClusterDownError,
    MovedError,
    RedisClusterException,
    TryAgainError,
)
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelConnectionPool, SentinelManagedConnection

from service.runtime.config import Config

Client = redis.Redis
# The store cannot answer now (down, restarting, still loading its AOF, no primary known
# to the Sentinels yet; on a cluster: a slot without a primary, a slot moved, keys
# migrating, all refused without being run, see ``rerouted``): retry later.
UNAVAILABLE: tuple[type[Exception], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.BusyLoadingError,
    ClusterDownError,
    AskError,  # MOVED too
    TryAgainError,
)
# Any failure of a Redis command, unavailability included.
StoreError = redis.RedisError

OPTIONS: dict[str, Any] = {
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
    "health_check_interval": 15,
    "retry_on_timeout": False,
}
# Sentinels and replicas are asked short questions: a slow one must not hold up the rest.
CLUSTER: dict[str, Any] = {"socket_connect_timeout": 2, "socket_timeout": 10}
SENTINEL_OPTIONS: dict[str, Any] = {
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "retry": Retry(NoBackoff(), 0),
}


class PrimaryConnection(SentinelManagedConnection):
    """A connection to the primary the Sentinels name. A primary that refuses writes for
    want of replicas (NOREPLICAS: cut off from them, or an old primary back from a
    partition before the Sentinels demote it) is one this process cannot use: like a
    demoted one (READONLY, which redis-py already handles so), the connection is dropped
    and the command fails as a ConnectionError, so that it is retried on a new connection
    to whichever server the Sentinels name by then. The refused write was not made."""

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().read_response(*args, **kwargs)
        except redis.ResponseError as error:
            if "NOREPLICAS" not in str(error):
                raise
            self.disconnect()
            raise redis.ConnectionError(f"the primary refuses writes: {error}") from error


def connect(config: Config, *, decode: bool = True) -> redis.Redis:
    if config.redis_cluster:
        # Typed as a Redis: the service uses only commands the cluster client shares, on
        # keys of one slot (see service/ledger/keys.py).
        cluster = RedisCluster.from_url(config.redis_url, decode_responses=decode, **CLUSTER)
        return cast(redis.Redis, cluster)
    if not config.redis_sentinels:
        return redis.Redis.from_url(config.redis_url, decode_responses=decode, **OPTIONS)
    # Credentials and database of the primary, if a URL gives them; its host is ignored.
    named = parse_url(config.redis_url) if config.redis_url else {}
    credentials = {k: v for k, v in named.items() if k in {"username", "password", "db"}}
    sentinel = Sentinel(sentinels(config.redis_sentinels), sentinel_kwargs=SENTINEL_OPTIONS)
    return sentinel.master_for(
        service_name(config),
        connection_class=PrimaryConnection,
        decode_responses=decode,
        **OPTIONS,
        **credentials,
    )


def sentinels(spec: str) -> list[tuple[str, int]]:
    """``host:port,host:port`` as addresses; a bad one raises ValueError naming it."""
    found = []
    for part in (p.strip() for p in spec.split(",")):
        host, _, port = part.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"RT_REDIS_SENTINELS: {part!r} is not host:port")
        found.append((host, int(port)))
    return found


def service_name(config: Config) -> str:
    if not config.redis_service:
        raise ValueError("RT_REDIS_SENTINELS is set, so RT_REDIS_SERVICE must name the primary")
    return config.redis_service


def queue_connection(config: Config, client: redis.Redis) -> redis.Redis | None:
    """The Redis that holds RQ's queues, jobs and workers, without reply decoding (RQ
    stores pickles): RT_QUEUE_REDIS_URL's, else ``client``'s (the log's) reached the same
    way. None for a cluster without one: RQ's keys carry no hash tag, and its worker
    cannot use the cluster client, so jobs queued there would never run."""
    if not config.has_queues:
        return None
    if config.queue_redis_url:
        return connect(config.queue_redis, decode=False)
    return raw_twin(client)


def raw_twin(client: redis.Redis) -> redis.Redis:
    """The same Redis as ``client``, reached the same way, without reply decoding."""
    pool = client.connection_pool
    kwargs = {**pool.connection_kwargs, "decode_responses": False}
    if isinstance(pool, SentinelConnectionPool):
        kwargs.pop("connection_pool", None)  # the pool's own proxy: the twin gets its own
        twin: redis.ConnectionPool = SentinelConnectionPool(
            pool.service_name,
            pool.sentinel_manager,
            connection_class=pool.connection_class,
            **kwargs,
        )
    else:
        twin = redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
    return redis.Redis(connection_pool=twin)


def sibling(client: redis.Redis) -> Callable[[str, int], redis.Redis]:
    """Connections to other servers of ``client``'s deployment (its replicas), by address,
    with its credentials; one kept per address."""
    kwargs = node_settings(client)
    credentials = {k: kwargs[k] for k in ("username", "password") if kwargs.get(k)}
    opened: dict[tuple[str, int], redis.Redis] = {}

    def to(host: str, port: int) -> redis.Redis:
        if (host, port) not in opened:
            opened[(host, port)] = redis.Redis(
                host, port, decode_responses=True, **SENTINEL_OPTIONS, **credentials
            )
        return opened[(host, port)]

    return to


def node_settings(client: redis.Redis) -> dict[str, Any]:
    """The connection settings of ``client``'s servers (for a cluster: of its nodes)."""
    if isinstance(client, RedisCluster):
        node = client.get_default_node()
        assert node is not None and node.redis_connection is not None
        return dict(node.redis_connection.connection_pool.connection_kwargs)
    return dict(client.connection_pool.connection_kwargs)


def primaries(client: redis.Redis) -> list[redis.Redis]:
    """Each primary of a cluster, as a client of its own; ``client`` itself otherwise."""
    if not isinstance(client, RedisCluster):
        return [client]
    found = [client.get_redis_connection(node) for node in client.get_primaries()]
    return [node for node in found if node is not None]


def owner(client: redis.Redis, key: str) -> redis.Redis:
    """The client of the server that holds ``key``: for a cluster, its slot's primary.
    WAIT counts the replicas of the writes of one connection, so the writes it covers
    must go through that connection, not be routed command by command."""
    # Duck-typed, so that a wrapper around a cluster client is routed as one.
    if not hasattr(client, "get_node_from_key"):
        return client
    cluster = cast(RedisCluster, client)
    found = cluster.get_redis_connection(cluster.get_node_from_key(key))
    assert found is not None
    return found


@contextlib.contextmanager
def rerouted(client: redis.Redis) -> Iterator[None]:
    """Around commands sent on a node's own client (``owner``, ``primaries``): these
    bypass the cluster client's routing, which is what refreshes its map of the slots
    when a node is lost or a slot moves. So when one fails for either reason (the slot's
    primary died, or a failover made it a replica that answers MOVED), the map is
    refreshed here before the error goes on: the next attempt goes to whichever node
    serves the slot by then. Without it, a process would keep writing to the old primary
    for as long as it runs. Nothing to do for a client of one server."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError, MovedError):
        if hasattr(client, "nodes_manager"):  # duck-typed, as in ``owner``
            # The nodes may still be electing a new primary: the map then stays as it
            # was, and the next failure asks again.
            with contextlib.suppress(redis.RedisError, RedisClusterException):
                cast(RedisCluster, client).nodes_manager.initialize()
        raise


def storage_uri(config: Config) -> str:
    """The deployment's Redis as a `limits` storage URI (the API's rate limits)."""
    if config.redis_cluster:
        return config.redis_url.replace("redis://", "redis+cluster://", 1)
    if not config.redis_sentinels:
        return config.redis_url
    named = parse_url(config.redis_url) if config.redis_url else {}
    password = f":{named['password']}@" if named.get("password") else ""
    return f"redis+sentinel://{password}{config.redis_sentinels}/{service_name(config)}"


def described(config: Config) -> str:
    """Where Redis is, for messages: without a password."""
    if config.redis_cluster:
        return f"the Redis Cluster of {hidden_password(config.redis_url)}"
    if config.redis_sentinels:
        return f"Sentinels {config.redis_sentinels} (service {config.redis_service!r})"
    return hidden_password(config.redis_url)


def hidden_password(url: str) -> str:
    named = parse_url(url) if url else {}
    if named.get("password"):
        return url.replace(f":{named['password']}@", ":***@", 1)
    return url
