"""With replicas, a checkpoint goes to the witnesses only once a replica holds it and
every event under it: one the primary alone held could be undone by a failover, and the
witnesses would then see the next checkpoint fork from the one they cosigned."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.bootstrap import Services, bootstrap
from service.dashboards.projector import catch_up
from service.runtime.clock import FrozenClock
from service.runtime.config import Config
from service.runtime.redis_server import ReplicatedRedis
from service.witness.service import Witness
from tests.alerting import Tracked
from tests.conftest import SECRETS_KEY
from tests.integration.test_witnessed_log import cosigned_sizes, receiver, witnessed

__all__ = ["receiver", "witnessed"]  # the witness fixtures, over this module's services


@pytest.fixture
def replicated(tmp_path: Path) -> Iterator[ReplicatedRedis]:
    # A paused replica still counts as good for 10 s: the primary takes the checkpoint.
    started = ReplicatedRedis(tmp_path / "redis", replicas=1, sentinels=0, max_lag=10).start()
    yield started
    started.stop()


@pytest.fixture
def services(replicated: ReplicatedRedis, clock: FrozenClock, tmp_path: Path) -> Services:
    config = Config(
        redis_url=replicated.primary.url,
        log_level="WARNING",
        data_dir=str(tmp_path / "data"),
        secrets_key=SECRETS_KEY,
    )
    return bootstrap(config, clock=clock)


def test_a_checkpoint_waits_for_a_replica_before_the_witnesses_see_it(
    services: Services, witnessed: Witness, replicated: ReplicatedRedis
) -> None:
    Tracked(services)  # a programme and an initiative: acknowledged, so on the replica
    replica = replicated.replicas[0]
    replica.pause()
    try:
        catch_up(services)  # seals, signs the checkpoint of 2 on the primary alone
        latest = services.store.checkpoints.latest()
        assert latest is not None and latest.size == 2
        assert cosigned_sizes(services, witnessed) == []
    finally:
        replica.resume()
    catch_up(services)
    assert cosigned_sizes(services, witnessed) == [2]
