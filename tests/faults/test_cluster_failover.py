"""No acknowledged event is lost when the cluster primary serving the deployment's slot
dies, and the service finds the replica the cluster promotes in its place.

Real processes on loopback, started by the fixture: three primaries with one replica
each (tests/conftest.py's REPLICATED settings: a primary silent for a second is
replaced). Four client threads write, each write with an Idempotency-Key, retrying until
acknowledged: two create programmes through the API, two comment through the store of
another process. Mid-load the slot's primary is SIGKILLed; its replica is promoted, and
the old primary, started again as a supervisor would, rejoins as the new primary's
replica (until then the new primary, guarded by min-replicas-to-write, refuses writes).
Afterwards every acknowledged write is in the log exactly once, `verify` passes, and a
process idle through the failover writes again within a few attempts.

The service writes to the slot's primary on that node's own connection (WAIT must follow
the append on it), past the cluster client's routing that would notice a moved slot: so
it refreshes the client's map of the slots itself when that connection fails or answers
MOVED (service/runtime/connection.py, ``rerouted``), or it would write to the dead node
for as long as it runs.

A cluster that lost a whole shard refuses every key until it is back: the API answers
503 meanwhile, not 500.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from service.api.app import create_app
from service.bootstrap import Services
from service.cli import main
from service.ledger.domain.chain import Actor, RecordedEvent
from service.ledger.eventstore import Idempotency
from service.runtime.clock import FrozenClock
from service.runtime.connection import UNAVAILABLE
from service.runtime.redis_server import ClusterRedis, wait_until
from service.tracking.domain import events as ev
from tests.conftest import REPLICATED, bearer
from tests.integration.api_helpers import post
from tests.integration.test_cluster import on_cluster

pytestmark = [pytest.mark.slow, pytest.mark.processes]

WRITERS = 4
LOAD_SECONDS = 1.0  # before the kill, and again once the cluster has settled
GIVE_UP_SECONDS = 30.0  # a write not acknowledged by then fails the test


def written_by(event: RecordedEvent) -> str:
    """The Idempotency-Key of the write that appended ``event``, as its payload says."""
    if event.type == "ProgrammeCreated":
        return str(event.payload["title"]).removeprefix("Reform ")
    return str(event.payload["text"])


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[ClusterRedis]:
    started = ClusterRedis(tmp_path / "cluster", **REPLICATED).start()
    yield started
    started.stop()


class Writers:
    """Threads writing with one Idempotency-Key per write, retrying each write until it
    is acknowledged: half create programmes through the API (retrying on 503), half
    comment on a milestone of their own through another process's store, as the workers
    append (retrying on the store's unavailability errors). A store that remembers a
    stream's head sends the append without reading anything first."""

    def __init__(self, api: Services, worker: Services) -> None:
        self.store = worker.store
        self.app = create_app(services=api)
        self.token = api.tokens.create("overseer", None)[0]
        self.stop = threading.Event()
        self.acknowledged: list[tuple[float, str, str]] = []  # when, stream, what
        self.failures: list[str] = []
        self.threads = [
            threading.Thread(target=self.create if n % 2 else self.comment, args=(n,))
            for n in range(WRITERS)
        ]

    def until_acknowledged(self, key: str, write: Callable[[], tuple[str, str] | None]) -> bool:
        give_up = time.monotonic() + GIVE_UP_SECONDS
        while time.monotonic() < give_up:
            try:
                done = write()
            except UNAVAILABLE:  # the store's errors that a retry may cure
                done = None
            except Exception as error:  # the test fails on it, below
                self.failures.append(f"{key}: {error!r}")
                return False
            if done is not None:
                self.acknowledged.append((time.monotonic(), *done))
                return True
            time.sleep(0.05)
        self.failures.append(f"{key}: not acknowledged within {GIVE_UP_SECONDS} s")
        return False

    def create(self, writer: int) -> None:
        api = self.app.test_client()
        n = 0
        while not self.stop.is_set():
            key = f"writer-{writer}-{n}"
            body = {"title": f"Reform {key}", "lead_agency": "Oversight Office"}

            def write(key: str = key, body: dict[str, str] = body) -> tuple[str, str] | None:
                answer = post(api, self.token, "/programmes", body, **{"Idempotency-Key": key})
                if answer.status_code == 503:
                    return None
                assert answer.status_code == 201, answer.json
                return f"programme-{answer.json['programme_id']}", key

            if not self.until_acknowledged(key, write):
                return
            n += 1

    def comment(self, writer: int) -> None:
        stream, actor = f"milestone-{writer}", Actor("writer", "reporter", "A")
        n = 0
        while not self.stop.is_set():
            key = f"writer-{writer}-{n}"

            def write(key: str = key, version: int = n) -> tuple[str, str]:
                self.store.append(
                    stream,
                    [ev.CommentAdded(key)],
                    expected_version=version,
                    actor=actor,
                    idempotency=Idempotency("writer", key, key),
                )
                return stream, key

            if not self.until_acknowledged(key, write):
                return
            n += 1

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(GIVE_UP_SECONDS + 10)


def test_a_killed_slot_primary_loses_no_acknowledged_event(
    cluster: ClusterRedis,
    tmp_path: Path,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    services = on_cluster(cluster, tmp_path, clock, rate_limit="")
    # The store writers' own connections, as a worker process has: the API's reads, which
    # the cluster client routes itself, would otherwise show it the new primary.
    worker = on_cluster(cluster, tmp_path, clock)
    # And an administrator's, idle through the failover: its map of the slots still shows
    # the old primary when it next writes (a token: a transaction on the slot's primary).
    admin = on_cluster(cluster, tmp_path, clock)
    log = services.keys.log
    old = cluster.owner(log)
    [replica] = cluster.replicas_of(old)
    with Writers(services, worker) as writers:
        time.sleep(LOAD_SECONDS)
        old.kill()
        killed = time.monotonic()
        wait_until(lambda: cluster.owner(log) is replica, "the replica to take over", 30)
        promoted = time.monotonic()
        old.start()  # it rejoins as a replica: the new primary takes writes again
        cluster.wait_until_settled()
        assert cluster.replicas_of(replica) == [old]
        time.sleep(LOAD_SECONDS)
    assert writers.failures == []
    assert all(not thread.is_alive() for thread in writers.threads)
    times = sorted(when for when, *_ in writers.acknowledged)
    assert times[0] < killed < times[-1], "writes were acknowledged on both sides of the kill"
    # No write was acknowledged for this long: the cluster's failover, as clients see it.
    unavailable = max(later - sooner for sooner, later in itertools.pairwise(times))

    # Every acknowledged write is in the log exactly once, and nothing else is.
    written = [(event.stream, written_by(event)) for event in services.store.iter_log()]
    assert Counter(written) == Counter((stream, what) for _, stream, what in writers.acknowledged)
    assert services.store.verify().ok
    # Its first write after the failover finds the old primary gone; the next one lands.
    for _ in range(3):
        with contextlib.suppress(*UNAVAILABLE):
            admin.tokens.create("viewer", None)
            break
    else:
        pytest.fail("the idle process never found the new primary")
    for name in ("RT_ALLOW_UNSAFE_REDIS", "RT_QUEUE_REDIS_URL", "REDIS_URL", "RT_KEY_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RT_REDIS_URL", replica.url)
    monkeypatch.setenv("RT_REDIS_CLUSTER", "1")
    capsys.readouterr()
    assert main(["verify"]) == 0, capsys.readouterr()
    with capsys.disabled():  # the figures docs/operations.md quotes
        print(
            f"\ncluster failover: replica promoted {promoted - killed:.2f} s after the kill, "
            f"no write acknowledged for {unavailable:.2f} s; "
            f"{len(times)} acknowledged"
        )


def test_a_cluster_that_lost_a_whole_shard_answers_503_until_it_is_back(
    cluster: ClusterRedis, tmp_path: Path, clock: FrozenClock
) -> None:
    """Another deployment's shard, primary and replica, dies: the cluster refuses every
    key until it is back (cluster-require-full-coverage, the default). The API says so
    with 503 and Retry-After, and writes nothing; once the shard is back the retry with
    the same Idempotency-Key is acknowledged, once."""
    services = on_cluster(cluster, tmp_path, clock)
    api = create_app(services=services).test_client()
    token = services.tokens.create("overseer", None)[0]
    retried = {"Idempotency-Key": "create-army-reform"}
    body = {"title": "Reform create-army-reform", "lead_agency": "Oversight Office"}
    ours = cluster.owner(services.keys.log)
    shard = next(shard for shard in cluster.shards() if ours not in shard)
    for node in shard:
        node.kill()

    def down() -> bool:
        with ours.client() as client:
            return bool(client.execute_command("CLUSTER INFO")["cluster_state"] == "fail")

    wait_until(down, "the cluster to find a shard missing", 30)
    listed = api.get("/programmes", headers=bearer(token))
    assert listed.status_code == 503, listed.json
    assert listed.headers["Retry-After"]
    refused = post(api, token, "/programmes", body, **retried)
    assert refused.status_code == 503, refused.json
    for node in shard:
        node.start()
    cluster.wait_until_settled()
    done = post(api, token, "/programmes", body, **retried)
    assert done.status_code == 201, done.json
    assert [e.type for e in services.store.read_log(0)] == ["ProgrammeCreated"]
    assert services.store.verify().ok
