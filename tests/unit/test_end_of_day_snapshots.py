"""As-of answers start from the end-of-day snapshot the projector writes when it crosses a
day boundary, and fold the rest of the day onto it. Whatever the history (days skipped,
host clocks a little out of step, the projector running at odd moments) and whatever
the date asked, the answer equals the fold of the whole log from position 0. A snapshot
whose copy is altered or missing, or that the log no longer matches, is detected and passed over by
answers (which only read), then rebuilt or dropped by the repair the worker runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.bootstrap import Services
from service.dashboards import end_of_day
from service.dashboards.as_of import CLOCK_SKEW_MARGIN, fold_log, overview_as_of
from service.dashboards.domain.dashboards import overview
from service.dashboards.domain.rag import Thresholds
from service.dashboards.domain.scorecards import scorecard
from service.dashboards.end_of_day import (
    digest,
    snapshot_keys,
    snapshot_layout,
    stamp_of,
    stamps_key,
)
from service.dashboards.projector import Projector
from service.dashboards.queries import DashboardQueries
from service.dashboards.snapshot_checks import (
    check_snapshots,
    latest_before,
    repair_snapshots,
    snapshot_for,
)
from service.runtime.clock import FrozenClock
from tests.projection_support import AGENCIES, VERBS, Scenario, play
from tests.redis_state import redis_state

RULES = Thresholds()

# One step of history: hours to move the clock (negative: a host a little behind), then
# plan a milestone, act on one, or run the projector.
step = st.tuples(
    st.sampled_from([0, 0, 1, 5, 20, 30, 60, -3]),
    st.sampled_from(["plan", "act", "act", "act", "project"]),
    st.integers(0, 10_000),
)


def answers(source: object, day: date) -> list[object]:
    found: list[object] = [overview(source, day, RULES)]  # type: ignore[arg-type]
    found += [scorecard(source, agency, day, RULES) for agency in AGENCIES]  # type: ignore[arg-type]
    return found


def assert_as_of_equals_full_fold(services: Services, day: date) -> None:
    folded = fold_log(services.store, day)
    source, position = overview_as_of(services, day)
    assert position == folded.position
    assert answers(source, day) == answers(folded, day)


# Random histories on the test's own store and clock (function-scoped fixtures, reset
# by ``played``), each example some seconds of appends and projections.
HISTORIES = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@contextmanager
def played(
    services: Services,
    redis_client: redis.Redis,
    clock: FrozenClock,
    steps: list[tuple[int, str, int]],
) -> Iterator[datetime]:
    """``steps`` played on an empty store; yields the clock's time before them, and sets
    the clock back to it afterwards."""
    redis_client.flushdb()
    start = clock.now()
    try:
        play(services, clock, steps)
        yield start
    finally:
        clock.set(start)


@settings(HISTORIES, max_examples=30)
@given(
    steps=st.lists(step, min_size=5, max_size=70),
    days=st.lists(st.integers(-2, 20), min_size=1, max_size=4),
)
def test_as_of_from_a_snapshot_equals_the_fold_from_position_zero(
    services: Services,
    redis_client: redis.Redis,
    clock: FrozenClock,
    steps: list[tuple[int, str, int]],
    days: list[int],
) -> None:
    with played(services, redis_client, clock, steps) as start:
        for offset in days:
            assert_as_of_equals_full_fold(services, start.date() + timedelta(days=offset))


def spread_over_days(services: Services, clock: FrozenClock) -> Scenario:
    scenario = Scenario(services, clock.today())
    for n in range(40):
        if n % 5 == 0:
            scenario.plan(n, n - 20)
        else:
            scenario.act(n, n, n)
        if n % 4 == 3:
            clock.advance(timedelta(days=1))
            Projector(services, batch_size=3).catch_up()
    Projector(services).catch_up()
    return scenario


def test_the_projector_snapshots_each_day_it_crosses(
    services: Services, redis_client: redis.Redis, clock: FrozenClock
) -> None:
    first = clock.today()
    spread_over_days(services, clock)
    days = latest_before(redis_client, services.keys, clock.today())
    assert days == [
        (first + timedelta(days=n)).isoformat() for n in range(8, -1, -1)
    ]  # the last day is not over
    for day in days:
        stamp = stamp_of(redis_client, services.keys, day)
        assert stamp is not None and stamp.digest == digest(redis_client, services.keys, day)
        # The snapshot is the read model as it stood at its stamped position.
        [at] = services.store.read_log(stamp.position - 1, 1)
        [after] = services.store.read_log(stamp.position, 1)
        assert at.recorded_at[:10] == day < after.recorded_at[:10]


def test_an_altered_snapshot_is_found_by_the_check_and_rebuilt(
    services: Services, redis_client: redis.Redis, clock: FrozenClock
) -> None:
    first = clock.today()
    spread_over_days(services, clock)
    day = first + timedelta(days=4)
    layout = snapshot_layout(services.keys, day.isoformat())
    end_of_day._checked.clear()  # as a process that has not read this copy yet
    victim = sorted(redis_client.hkeys(layout.aggregates))[0]
    redis_client.hset(layout.aggregates, victim, b'{"counts": {}}')
    before = stamp_of(redis_client, services.keys, day.isoformat())
    assert before is not None
    assert digest(redis_client, services.keys, day.isoformat()) != before.digest
    assert check_snapshots(services) == [(day.isoformat(), "its contents do not match its digest")]
    assert repair_snapshots(services) == [day.isoformat()]
    assert digest(redis_client, services.keys, day.isoformat()) == before.digest
    assert snapshot_for(services, day) == before
    assert repair_snapshots(services) == []


def test_a_missing_snapshot_copy_is_rebuilt(
    services: Services, redis_client: redis.Redis, clock: FrozenClock
) -> None:
    first = clock.today()
    spread_over_days(services, clock)
    day = (first + timedelta(days=6)).isoformat()
    before = stamp_of(redis_client, services.keys, day)
    assert before is not None
    redis_client.delete(*snapshot_keys(redis_client, services.keys, day))
    end_of_day._checked.clear()
    found = snapshot_for(services, date.fromisoformat(day))
    assert found is not None and found.day < day  # not whole: passed over on a read
    state = redis_state(redis_client)
    assert_as_of_equals_full_fold(services, date.fromisoformat(day))
    assert redis_state(redis_client) == state  # an answer only reads
    assert repair_snapshots(services) == [day]
    assert snapshot_for(services, date.fromisoformat(day)) == before
    assert_as_of_equals_full_fold(services, date.fromisoformat(day))


def test_a_snapshot_the_log_does_not_match_is_not_used_and_then_dropped(
    services: Services, redis_client: redis.Redis, clock: FrozenClock
) -> None:
    first = clock.today()
    spread_over_days(services, clock)
    day = (first + timedelta(days=5)).isoformat()
    stamp = stamp_of(redis_client, services.keys, day)
    assert stamp is not None
    forged = stamp.to_json().replace(stamp.event_hash.encode(), b"0" * len(stamp.event_hash))
    redis_client.hset(stamps_key(services.keys), day, forged)
    found = snapshot_for(services, date.fromisoformat(day))
    assert found is not None and found.day < day
    assert_as_of_equals_full_fold(services, date.fromisoformat(day))
    assert repair_snapshots(services) == [day]
    assert stamp_of(redis_client, services.keys, day) is None
    assert day not in latest_before(redis_client, services.keys, date.fromisoformat(day))


def test_older_snapshots_are_thinned_to_sundays_and_still_answer_exactly(
    services: Services, redis_client: redis.Redis, clock: FrozenClock
) -> None:
    first = clock.today()
    scenario = Scenario(services, first)
    for n in range(60):
        scenario.plan(n, n - 30) if n % 3 == 0 else scenario.act(n, n, n)
        clock.advance(timedelta(days=1))
        if n % 7 == 0:
            Projector(services, batch_size=4).catch_up()
    Projector(services).catch_up()
    latest = first + timedelta(days=58)  # the last day crossed; the clock's day is not over
    kept = {date.fromisoformat(d) for d in latest_before(redis_client, services.keys, latest)}
    daily = {latest - timedelta(days=n) for n in range(32)}
    assert daily <= kept
    sundays = {
        first + timedelta(days=n)
        for n in range(27)
        if (first + timedelta(days=n)).isoweekday() == 7
    }
    assert kept - daily == sundays
    for offset in (3, 10, 20, 40):
        assert_as_of_equals_full_fold(services, first + timedelta(days=offset))


def test_the_public_as_of_answer_withholds_dispute_reasons(
    services: Services, clock: FrozenClock
) -> None:
    scenario = spread_over_days(services, clock)
    scenario.plan(0, 30)
    for verb in ("start", "complete", "dispute"):  # a new milestone: disputed, red
        assert scenario.act(len(scenario.milestones) - 1, VERBS.index(verb), 0, tries=1) == verb
    clock.advance(timedelta(days=1))
    Projector(services).catch_up()
    day = clock.today() - timedelta(days=1)
    staff = DashboardQueries(services).reading(day)
    public = DashboardQueries(services, public=True).reading(day)
    assert staff.origin == public.origin == "log" and staff.position == public.position
    assert "not seen" in repr(answers(staff.source, day))  # the dispute reason
    shown = answers(public.source, day)
    assert "not seen" not in repr(shown) and "completion disputed" in repr(shown)
    counts = [a["counts_by_rag"] for a in answers(staff.source, day)[1:]]  # type: ignore[index]
    assert counts == [a["counts_by_rag"] for a in shown[1:]]  # type: ignore[index]


def test_the_as_of_fold_takes_late_events_recorded_within_the_clock_skew_margin(
    services: Services, clock: FrozenClock
) -> None:
    """A host whose clock is behind records an event of day D after others recorded day
    D+1: the answer for D holds it while it comes within an hour of D+1 starting."""
    start = clock.now()
    day = clock.today()
    midnight = datetime.combine(day + timedelta(days=1), time.min, UTC)
    scenario = Scenario(services, day)
    for n in range(3):
        scenario.plan(n, 10)
    Projector(services).catch_up()

    def act_at(moment: datetime, which: int) -> int:
        clock.set(moment)
        assert scenario.act(which, VERBS.index("start"), 0, tries=len(VERBS)) is not None
        return services.store.head_position()

    try:
        act_at(midnight + timedelta(minutes=20), 0)  # day D+1
        late = act_at(midnight - timedelta(seconds=5), 1)  # a clock behind: day D, kept
        act_at(midnight + CLOCK_SKEW_MARGIN + timedelta(minutes=1), 2)  # past the margin
        too_late = act_at(midnight - timedelta(seconds=1), 1)  # day D, after the margin
        clock.set(midnight + timedelta(days=1))
        Projector(services, batch_size=2).catch_up()
        assert fold_log(services.store, day).position == late < too_late
        assert_as_of_equals_full_fold(services, day)
    finally:
        clock.set(start)
