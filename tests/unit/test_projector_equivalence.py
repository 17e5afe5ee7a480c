"""Incremental projection equals a full rebuild, whatever the commands and however the log
is cut into batches (hypothesis; the real EventStore and projector, on fakeredis)."""

from __future__ import annotations

import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.bootstrap import Services
from service.dashboards.projector import Projector
from service.dashboards.readmodels import Layout, live_generations
from service.dashboards.rebuild import rebuild
from tests.projection_support import (
    VERBS,
    Scenario,
    assert_no_double_application,
    dump_live,
    random_history,
    reference,
)

plan = st.tuples(st.just("plan"), st.integers(0, 2), st.integers(-60, 60))
act = st.tuples(
    st.just("act"), st.integers(0, 50), st.integers(0, len(VERBS) - 1), st.integers(0, 100)
)
project = st.tuples(st.just("project"), st.integers(1, 7))
commands = st.lists(st.one_of(plan, act, act, act, project), min_size=5, max_size=60)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(commands=commands)
def test_incremental_projection_equals_full_rebuild(
    services: Services, redis_client: redis.Redis, commands: list[tuple]
) -> None:
    redis_client.flushdb()
    scenario = Scenario(services, services.clock.today())
    for command in commands:
        if command[0] == "plan":
            scenario.plan(command[1], command[2])
        elif command[0] == "act":
            scenario.act(*command[1:])
        else:
            # A few small batches between appends: the log is projected in odd pieces.
            Projector(services, batch_size=command[1]).step()
    Projector(services, batch_size=3).catch_up()

    incremental = dump_live(services)
    assert incremental == reference(services)
    assert_no_double_application(incremental)

    old = live_generations(redis_client, services.keys)
    rebuild(services, cleanup_delay=0)
    assert dump_live(services) == incremental
    # The old generation's keys are gone once the new one is live.
    for family, generation in old.items():
        pattern = Layout(services.keys, {family: generation}).pattern(family)
        assert not list(redis_client.scan_iter(match=pattern))


def test_long_history_in_odd_batches_equals_full_rebuild(services: Services) -> None:
    scenario = Scenario(services, services.clock.today())
    for round_ in range(6):
        random_history(scenario, 80, seed=round_)
        Projector(services, batch_size=7 + round_ * 13).catch_up()
    dumped = dump_live(services)
    statuses = {record["status"] for record in dumped["milestones"].values()}
    # The history reaches every corner of the lifecycle, so every rule was exercised.
    assert statuses >= {"planned", "in_progress", "verified", "cancelled", "disputed"}
    assert dumped == reference(services)
    assert_no_double_application(dumped)
