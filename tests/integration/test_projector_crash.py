"""A projector worker killed with SIGKILL — while a batch is in flight, or at random
moments — leaves the read models exactly at a committed batch; after a restart they equal
a full rebuild and no event was applied twice. Real subprocesses, real redis-server."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from service.bootstrap import Services
from service.dashboards.domain.snapshot import fold
from service.dashboards.readmodels import ReadModels
from tests.projection_support import (
    Scenario,
    assert_no_double_application,
    dump_live,
    dump_snapshot,
    random_history,
    reference,
)


def start_victim(services: Services, *args: str) -> subprocess.Popen[str]:
    url = services.config.redis_url
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.projector_victim", url, *args],
        stdout=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the victim never reached the point to kill it"
        time.sleep(0.01)


def committed_prefix(services: Services) -> tuple[int, dict]:
    """The checkpoint, and the read model a fold of the log up to it gives."""
    checkpoint = ReadModels(services.redis, services.keys).checkpoint()
    events = (e for e in services.store.iter_log() if e.position <= checkpoint)
    return checkpoint, dump_snapshot(fold(events))


def test_sigkill_mid_batch_loses_nothing_and_applies_nothing_twice(
    services: Services, tmp_path: Path
) -> None:
    random_history(Scenario(services, services.clock.today()), 800, seed=11)
    head = services.store.head_position()
    rng = random.Random(5)
    marker = tmp_path / "in-flight"
    for iteration in range(6):
        marker.unlink(missing_ok=True)
        victim = start_victim(services, "--batch", "11", "--pause", "0.15", "--marker", str(marker))
        if iteration % 2 == 0:
            wait_for(marker.exists)  # a batch is projected and not yet committed
            time.sleep(0.05)
        else:
            time.sleep(rng.uniform(0.0, 1.5))  # anywhere: start-up, reading, committing
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        checkpoint, expected = committed_prefix(services)
        assert dump_live(services) == expected  # exactly the committed batches, no more
        if iteration % 2 == 0:
            first, _last = map(int, marker.read_text().split())
            assert checkpoint < first, "the killed batch must not be half-committed"
        assert checkpoint < head

    victim = start_victim(services, "--batch", "23")
    assert victim.wait(timeout=120) == 0
    final = dump_live(services)
    assert final == reference(services)
    assert_no_double_application(final)
