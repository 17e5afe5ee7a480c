"""Two projector workers racing on one log while events are appended: leases that lapse
mid-batch make them project the same batches at once, WATCH makes one of them redo its
batch, and the read models still equal a full rebuild with no event applied twice."""

from __future__ import annotations

from pathlib import Path

from service.bootstrap import Services
from tests.integration.projection_support import (
    Scenario,
    assert_no_double_application,
    dump_live,
    random_history,
    reference,
)
from tests.integration.test_projector_crash import start_victim, wait_for
from workers.projector import Projector


def test_two_workers_racing_equal_a_full_rebuild(services: Services, tmp_path: Path) -> None:
    scenario = Scenario(services, services.clock.today())
    random_history(scenario, 200, seed=3)
    # A 20 ms lease and a 50 ms pause before each commit: the lease lapses in every batch,
    # so the other worker takes it and both work on the same batch.
    racers = [
        start_victim(
            services,
            "--batch",
            "9",
            "--pause",
            "0.05",
            "--lease-ms",
            "20",
            "--ready",
            str(tmp_path / f"ready-{n}"),
            "--go",
            str(tmp_path / "go"),
            "--stop",
            str(tmp_path / "stop"),
        )
        for n in range(2)
    ]
    wait_for(lambda: all((tmp_path / f"ready-{n}").exists() for n in range(2)))
    (tmp_path / "go").touch()  # both start on the same backlog
    random_history(scenario, 300, seed=4)  # appends while they race
    (tmp_path / "stop").touch()  # they stop once caught up
    conflicts = 0
    for racer in racers:
        out, _ = racer.communicate(timeout=120)
        assert racer.returncode == 0
        conflicts += int(out.strip())
    assert conflicts > 0, "the workers never raced: the test proved nothing"

    Projector(services).catch_up()  # appends after both finished
    dumped = dump_live(services)
    assert dumped == reference(services)
    assert_no_double_application(dumped)
