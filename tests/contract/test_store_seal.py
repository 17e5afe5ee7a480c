"""The sealer chains the global log after appends commit: in position order, once, with
any number of sealers and appenders running at the same time, and never across a gap."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import redis

from service.ledger.domain.chain import GENESIS, Actor, chain_hash
from service.ledger.eventstore import EventStore
from service.ledger.keys import Keys
from service.ledger.seal import Sealer
from service.runtime.clock import FrozenClock
from service.tracking.domain import events as ev
from tests.contract.conftest import Backend

ACTOR = Actor(token_id="t", role="reporter", agency="A")


def fresh_store(backend: Backend, clock: FrozenClock) -> EventStore:
    """A store on its own connection, as another service instance has."""
    return EventStore(backend.connect(), clock, Keys("rt"))


def test_an_append_is_acknowledged_unsealed_and_sealed_by_the_next_run(
    store: EventStore,
) -> None:
    result = store.append("milestone-a", [ev.CommentAdded("x")], expected_version=0, actor=ACTOR)
    assert result.events[0].position == 1 and result.events[0].global_hash is None
    assert store.read_log()[0].global_hash is None
    assert store.sealer.seal_all() == 1
    sealed = store.read_log()[0]
    assert sealed.global_hash == chain_hash(GENESIS, sealed.hash)
    assert store.read_stream("milestone-a")[0] == sealed
    assert store.sealer.seal_all() == 0


def test_sealers_racing_appenders_seal_every_position_once_in_order(
    backend: Backend, clock: FrozenClock
) -> None:
    stop = threading.Event()

    def append(n: int) -> int:
        store = fresh_store(backend, clock)
        for version in range(40):
            store.append(
                f"milestone-{n}",
                [ev.CommentAdded(f"{version}")],
                expected_version=version,
                actor=ACTOR,
            )
        return 40

    def seal(_: int) -> int:
        store, sealed = fresh_store(backend, clock), 0
        while not stop.is_set():
            sealed += store.sealer.seal(batch=7) or 0
        return sealed

    with ThreadPoolExecutor(10) as pool:
        sealers = [pool.submit(seal, n) for n in range(3)]
        appended = sum(pool.map(append, range(6)))
        store = fresh_store(backend, clock)
        store.sealer.seal_all()
        stop.set()
        sealed_by_racers = sum(s.result() for s in sealers)
    assert appended == store.head_position() == store.sealer.sealed_position() == 240
    assert sealed_by_racers <= 240  # each position sealed by exactly one run
    previous = GENESIS
    for event in store.iter_log():
        previous = chain_hash(previous, event.hash)
        assert event.global_hash == previous
    report = store.verify()
    assert report.ok and report.sealed_position == 240 and report.head_hash == previous


def test_the_sealer_never_seals_across_a_gap(store: EventStore, redis_client: redis.Redis) -> None:
    for version in range(3):
        store.append("milestone-a", [ev.CommentAdded("x")], expected_version=version, actor=ACTOR)
    redis_client.xdel(store.keys.log, "2-0")
    assert store.sealer.seal_all() == 1
    assert store.sealer.sealed_position() == 1
    report = store.verify()
    assert not report.ok and report.breach is not None and report.breach.position == 2


def test_a_sealer_that_lost_the_race_writes_nothing(
    store: EventStore, redis_client: redis.Redis, backend: Backend, monkeypatch
) -> None:
    """Between reading the sealed head and writing, another sealer sealed the same run:
    the late one's compare-and-set fails and it changes nothing."""
    store.append("milestone-a", [ev.CommentAdded("x")], expected_version=0, actor=ACTOR)
    other = EventStore(backend.connect(), store.clock, store.keys)
    read_log = store.redis.xrange

    def xrange_then_race(*args, **kwargs):
        entries = read_log(*args, **kwargs)
        assert other.sealer.seal() == 1  # wins while the first one is still hashing
        return entries

    monkeypatch.setattr(store.redis, "xrange", xrange_then_race)
    assert store.sealer.seal() is None
    digest = other.read_log()[0].hash
    assert redis_client.hgetall(store.keys.seals) == {"1": chain_hash(GENESIS, digest)}
    assert redis_client.hget(store.keys.heads, "$sealed") == f"1:{chain_hash(GENESIS, digest)}"


def test_verify_while_appends_and_sealing_go_on_finds_nothing_wrong(
    backend: Backend, clock: FrozenClock
) -> None:
    """verify reads every head in one command first and checks the log as it was then:
    appends and seals that land during the walk are not mistaken for tampering."""
    appending = threading.Event()
    appending.set()

    def append(n: int) -> None:
        store = fresh_store(backend, clock)
        for version in range(150):
            store.append(
                f"milestone-{n}", [ev.CommentAdded("x")], expected_version=version, actor=ACTOR
            )

    def seal() -> None:
        store = fresh_store(backend, clock)
        while appending.is_set():
            store.sealer.seal(batch=5)

    verifier = fresh_store(backend, clock)
    reports = []
    with ThreadPoolExecutor(6) as pool:
        sealer = pool.submit(seal)
        appenders = [pool.submit(append, n) for n in range(4)]
        while not all(a.done() for a in appenders):
            reports.append(verifier.verify(batch=20))
        appending.clear()
        for future in [*appenders, sealer]:
            future.result()
    assert len(reports) >= 2
    assert all(report.ok for report in reports), [r.to_dict() for r in reports if not r.ok][:1]
    assert verifier.verify().head_position == 600


def test_seal_all_stops_at_the_head_it_started_from_while_appends_go_on(
    store: EventStore, backend: Backend, clock: FrozenClock
) -> None:
    # Each seal run finds one more event appended meanwhile, as under sustained load: a
    # sealer chasing the moving head would never return, and the worker, which seals
    # before it grows the tree and signs checkpoints, would never sign one.
    appender = fresh_store(backend, clock)
    store.append("milestone-a", [ev.CommentAdded("0")], expected_version=0, actor=ACTOR)

    class Chased(Sealer):
        appended = 1

        def seal(self, batch: int = 2000) -> int | None:
            if self.appended < 100:
                appender.append(
                    "milestone-a",
                    [ev.CommentAdded(str(self.appended))],
                    expected_version=self.appended,
                    actor=ACTOR,
                )
                self.appended += 1
            return super().seal(batch=1)

    sealer = Chased(backend.connect(), Keys("rt"))
    assert sealer.seal_all() == 1  # up to the head when it started, not the new one
    assert sealer.appended == 2 and store.head_position() == 2
    assert sealer.seal_all() == 1  # the next run seals what was appended meanwhile
    assert sealer.sealed_position() == 2 and store.head_position() == 3
