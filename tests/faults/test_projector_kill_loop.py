"""The projector SIGKILLed at random moments, many times, while events keep arriving:
afterwards the read models equal a full rebuild and no event was applied twice."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.bootstrap import Services
from tests.projection_support import (
    Scenario,
    assert_no_double_application,
    dump_live,
    random_history,
    reference,
)

ITERATIONS = 25
pytestmark = pytest.mark.slow


def start_projector(services: Services, batch: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.projector_victim",
            services.config.redis_url,
            "--batch",
            str(batch),
            "--pause",
            "0.01",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        text=True,
    )


def test_random_kills_while_appending(services: Services, tmp_path: Path) -> None:
    never = tmp_path / "never"  # the victim projects until it is killed
    scenario = Scenario(services, services.clock.today())
    random_history(scenario, 300, seed=1)
    rng = random.Random(2026)
    for iteration in range(ITERATIONS):
        victim = start_projector(services, rng.choice([7, 31, 200]), "--stop", str(never))
        # Appends land while the victim projects; the kill comes at a random moment.
        random_history(scenario, rng.randint(5, 40), seed=100 + iteration)
        time.sleep(rng.uniform(0.0, 0.6))
        assert victim.poll() is None, "the projector must still be running when killed"
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        assert_no_double_application(dump_live(services))
    final = start_projector(services, 50)
    assert final.wait(timeout=180) == 0
    live = dump_live(services)
    assert live == reference(services)
    assert_no_double_application(live)
