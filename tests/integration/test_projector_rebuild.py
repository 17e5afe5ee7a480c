"""Rebuilds without downtime: the old generation serves (and keeps being projected) until
the switch, the switch is atomic with respect to a batch in flight, and a rebuild of one
projection leaves the others alone."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from service.bootstrap import Services
from service.dashboards.projector import Projector
from service.dashboards.projector_status import projector_status
from service.dashboards.queries import DashboardQueries
from service.dashboards.readmodels import ReadModels, live_generations
from service.dashboards.rebuild import rebuild
from tests.projection_support import (
    Scenario,
    assert_no_double_application,
    dump_live,
    random_history,
    reference,
)

CONFLICTS = "reform_tracker_projector_conflicts_total"


@pytest.fixture
def scenario(services: Services) -> Scenario:
    made = Scenario(services, services.clock.today())
    random_history(made, 150, seed=21)
    Projector(services).catch_up()
    return made


def test_old_model_serves_and_is_projected_until_the_switch(
    services: Services, scenario: Scenario
) -> None:
    before = live_generations(services.redis, services.keys)
    seen: list[tuple[int, int]] = []

    def progress(position: int, head: int) -> None:
        if not seen:  # mid-rebuild: appends arrive and the live projector follows them
            random_history(scenario, 60, seed=22)
            Projector(services).catch_up()
            live = ReadModels(services.redis, services.keys)
            assert live.layout.generations == before
            assert live.checkpoint() == services.store.head_position()
            assert DashboardQueries(services).overview()["lag_events"] == 0
        seen.append((position, head))

    report = rebuild(services, progress=progress, batch_size=40, cleanup_delay=0)

    after = live_generations(services.redis, services.keys)
    assert after == dict.fromkeys(after, report.generation) != before
    assert report.position == services.store.head_position()  # the tail was folded too
    assert [p for p, _ in seen] == sorted(p for p, _ in seen) and seen[-1][0] == seen[-1][1]
    dumped = dump_live(services)
    assert dumped == reference(services)
    assert_no_double_application(dumped)


def test_a_batch_in_flight_during_the_switch_is_redone_on_the_new_generation(
    services: Services, scenario: Scenario
) -> None:
    random_history(scenario, 80, seed=23)
    switched: list[int] = []

    def switch_now(events: object) -> None:
        if not switched:  # the rebuild switches while this batch waits to commit
            switched.append(rebuild(services, cleanup_delay=0).generation)

    conflicts = REGISTRY.get_sample_value(CONFLICTS) or 0
    # step() runs one batch without the lease, so the rebuild can take the lease meanwhile.
    Projector(services, batch_size=10, before_commit=switch_now).step()
    assert (REGISTRY.get_sample_value(CONFLICTS) or 0) == conflicts + 1
    assert set(live_generations(services.redis, services.keys).values()) == set(switched)
    dumped = dump_live(services)
    assert dumped == reference(services)
    assert_no_double_application(dumped)


def test_rebuilding_one_projection_leaves_the_others_alone(
    services: Services, scenario: Scenario
) -> None:
    before = live_generations(services.redis, services.keys)
    report = rebuild(services, "initiatives", cleanup_delay=0)
    after = live_generations(services.redis, services.keys)
    assert after == {**before, "initiatives": report.generation}
    random_history(scenario, 60, seed=24)
    Projector(services).catch_up()  # families at different generations advance together
    assert dump_live(services) == reference(services)
    assert projector_status(services)["lag"] == 0


def test_unknown_projection_is_refused_and_nothing_changes(services: Services) -> None:
    before = services.redis.keys("*")  # the key-scheme marker the bootstrap left
    with pytest.raises(ValueError, match="unknown projection"):
        rebuild(services, "nonsense")
    assert services.redis.keys("*") == before
