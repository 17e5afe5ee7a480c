"""The projector on fakeredis: catching up folds exactly the events after the checkpoint,
once, and leaves the live read models equal to the as-of fold of the log for today (the
answer a dashboard and an as-of query must agree on)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.bootstrap import Services
from service.dashboards.as_of import fold_log, fold_tree
from service.dashboards.projector import Projector
from service.dashboards.readmodels import ReadModels
from tests.projection_support import (
    Scenario,
    assert_no_double_application,
    dump_live,
    dump_snapshot,
    random_history,
)

# Each step: how many random commands to append, then whether to catch up.
steps = st.lists(st.tuples(st.integers(0, 25), st.booleans()), min_size=1, max_size=6)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps, seed=st.integers(0, 2**16))
def test_catching_up_folds_each_event_once_and_equals_the_as_of_fold(
    services: Services, steps: list[tuple[int, bool]], seed: int
) -> None:
    services.redis.flushdb()
    scenario = Scenario(services, services.clock.today())
    projected = 0
    for number, (commands, catch_up) in enumerate(steps):
        random_history(scenario, commands, seed=seed + number)
        if catch_up:
            projected += Projector(services, batch_size=5).catch_up()
    projected += Projector(services, batch_size=5).catch_up()

    head = services.store.head_position()
    assert projected == head
    assert ReadModels(services.redis, services.keys).checkpoint() == head
    assert Projector(services).catch_up() == 0
    live = dump_live(services)
    assert live == dump_snapshot(fold_log(services.store, services.clock.today()))
    assert_no_double_application(live)


def test_a_programme_read_model_equals_the_fold_of_its_own_streams(services: Services) -> None:
    scenario = Scenario(services, services.clock.today())
    random_history(scenario, 120, seed=7)
    Projector(services, batch_size=11).catch_up()
    programmes = ReadModels(services.redis, services.keys).programmes()
    assert len(programmes) == 2
    for programme in programmes:
        tree = fold_tree(
            services.store, f"programme-{programme.programme_id}", services.clock.today()
        )
        assert tree.records["programmes"][programme.programme_id] == programme
