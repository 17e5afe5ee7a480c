"""Roll-ups remembered between reads (service/dashboards/summary_memo.py) equal the ones
computed afresh, whatever happened in between: events projected, days passing, the
public view, as-of days, a rebuild, the store emptied and filled again."""

from __future__ import annotations

from datetime import date, timedelta

import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.bootstrap import Services
from service.dashboards.as_of import overview_as_of
from service.dashboards.domain.dashboards import Memo, ReadSource, overview, programme_dashboard
from service.dashboards.domain.rag import Thresholds
from service.dashboards.domain.scorecards import scorecard
from service.dashboards.projector import Projector
from service.dashboards.queries import DashboardQueries, Disclosed
from service.dashboards.readmodels import ReadModels
from service.dashboards.rebuild import rebuild
from service.dashboards.summary_memo import SummaryMemo
from service.runtime.clock import FrozenClock
from tests.projection_support import AGENCIES, Scenario, play

RULES = Thresholds()

# hours to move the clock, then plan a milestone, act on one, project some, or read
step = st.tuples(
    st.sampled_from([0, 0, 1, 7, 30]),
    st.sampled_from(["plan", "act", "act", "act", "project", "read", "read"]),
    st.integers(0, 10_000),
)


def answers(source: ReadSource, today: date, memo: Memo | None) -> list[object]:
    found: list[object] = [overview(source, today, RULES, memo)]
    found += [scorecard(source, agency, today, RULES, memo) for agency in AGENCIES]
    programmes = sorted(p.programme_id for p in source.programmes())
    found += [programme_dashboard(source, p, today, RULES, memo) for p in programmes]
    return found


def assert_remembered_equals_fresh(
    services: Services, memo: SummaryMemo, source: ReadSource, name: object, today: date
) -> None:
    for public in (False, True):
        seen = Disclosed(source) if public else source
        scoped = memo.within((name, public))
        fresh = answers(seen, today, None)
        assert answers(seen, today, scoped) == fresh  # computed, or taken from the memo
        assert answers(seen, today, scoped) == fresh  # taken from the memo


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=5, max_size=60), ahead=st.integers(0, 40))
def test_remembered_roll_ups_equal_fresh_ones(
    services: Services,
    redis_client: redis.Redis,
    clock: FrozenClock,
    steps: list[tuple[int, str, int]],
    ahead: int,
) -> None:
    redis_client.flushdb()
    start = clock.now()
    memo = SummaryMemo(entries=64)  # small: entries are also evicted on the way
    try:

        def read(number: int) -> None:
            live = ReadModels(services.redis, services.keys)
            day = clock.today() + timedelta(days=number % 3 * ahead)
            assert_remembered_equals_fresh(services, memo, live, "live", day)

        play(services, clock, steps, read)
        first = start.date()
        for offset in (0, 1, 2):
            day = first + timedelta(days=offset)
            if day < clock.today():
                source, position = overview_as_of(services, day)
                assert_remembered_equals_fresh(services, memo, source, ("log", day), day)
    finally:
        clock.set(start)


def test_queries_remember_per_log_and_generation(
    services: Services, redis_client: redis.Redis, clock: FrozenClock
) -> None:
    """The same fixed ids and positions in a store emptied and filled again, or a rebuilt
    generation, are not taken for the roll-ups remembered before."""
    queries = DashboardQueries(services)
    envelope = set(queries.reading(None).envelope())

    def served() -> list[object]:
        cards = [queries.scorecard(a) for a in AGENCIES]
        cards = [{k: v for k, v in card.items() if k not in envelope} for card in cards]
        return [queries.overview()["programmes"], *cards]

    def fresh() -> list[object]:
        live, today = ReadModels(services.redis, services.keys), clock.today()
        return [overview(live, today, RULES), *(scorecard(live, a, today, RULES) for a in AGENCIES)]

    def fill(due_offset: int) -> None:
        scenario = Scenario(services, clock.today())
        for n in range(6):
            scenario.plan(n, due_offset + n)
        Projector(services).catch_up()

    fill(-40)
    before = served()
    assert before == fresh()
    redis_client.flushdb()
    fill(5)  # the same ids, other due dates: other roll-ups
    assert served() == fresh() != before
    rebuild(services)
    assert served() == fresh()
