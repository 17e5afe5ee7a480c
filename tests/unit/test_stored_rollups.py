"""The roll-ups stored with each end-of-day snapshot (stored_rollups.py): an as-of
overview that reads them equals the fold of the whole log, for staff and the public,
whatever the history; a process that has remembered nothing reads them instead of
computing; they are covered by the snapshot's digest, rebuilt with it, and dropped
with it; and an answer never writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from service.bootstrap import Services
from service.dashboards import end_of_day, stored_rollups
from service.dashboards.as_of import fold_log
from service.dashboards.disclosed import Disclosed
from service.dashboards.domain import dashboards
from service.dashboards.domain.aggregates import Totals
from service.dashboards.domain.phrases import Phrase
from service.dashboards.end_of_day import digest, rollups_key, stamp_of
from service.dashboards.projector import Projector
from service.dashboards.queries import DashboardQueries
from service.dashboards.snapshot_checks import check_snapshots, latest_before, repair_snapshots
from service.dashboards.summary_memo import PROCESS_MEMO
from service.runtime.clock import FrozenClock
from tests.projection_support import VERBS, Scenario
from tests.redis_state import redis_state
from tests.unit.test_end_of_day_snapshots import (
    HISTORIES,
    RULES,
    played,
    spread_over_days,
    step,
)


def expected(services: Services, day: date, public: bool) -> list[dict[str, Any]]:
    folded = fold_log(services.store, day)
    return dashboards.overview(Disclosed(folded) if public else folded, day, RULES)


def cold_overview(services: Services, day: date, public: bool) -> list[dict[str, Any]]:
    PROCESS_MEMO.clear()  # as a process that has just started
    programmes: list[dict[str, Any]] = DashboardQueries(services, public=public).overview(day)[
        "programmes"
    ]
    return programmes


def phrases(value: Any) -> list[tuple[str, str]]:
    """Every Phrase in ``value`` with its template: equal text is not enough, a page
    translates the template."""
    if isinstance(value, Phrase):
        return [(str(value), value.template), *phrases(value.values)]
    if isinstance(value, dict):
        return [p for item in value.values() for p in phrases(item)]
    if isinstance(value, list):
        return [p for item in value for p in phrases(item)]
    return []


@settings(HISTORIES, max_examples=25)
@given(
    steps=st.lists(step, min_size=5, max_size=60),
    days=st.lists(st.integers(-2, 12), min_size=1, max_size=3),
)
def test_an_overview_from_stored_rollups_equals_the_fold_of_the_whole_log(
    services: Services,
    redis_client: redis.Redis,
    clock: FrozenClock,
    steps: list[tuple[int, str, int]],
    days: list[int],
) -> None:
    try:
        with played(services, redis_client, clock, steps) as start:
            # Today and later days answer from the live read models: projected, they are the
            # whole log too. Past days answer from snapshots and their stored roll-ups.
            Projector(services).catch_up()
            for offset in days:
                day = start.date() + timedelta(days=offset)
                for public in (False, True):
                    found, wanted = (
                        cold_overview(services, day, public),
                        expected(services, day, public),
                    )
                    assert found == wanted
                    assert phrases(found) == phrases(wanted)
    finally:
        PROCESS_MEMO.clear()


def test_the_projector_stores_each_days_rollups_and_a_new_process_reads_them(
    services: Services,
    redis_client: redis.Redis,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = spread_over_days(services, clock)
    # A day whose overview quotes a dispute's reason to staff and withholds it from the
    # public: two answers, stored apart.
    scenario.plan(99, 5)
    for verb in ("start", "complete", "dispute"):
        assert scenario.act(len(scenario.milestones) - 1, VERBS.index(verb), 1, tries=1) == verb
    day = clock.today()
    clock.advance(timedelta(days=1))
    scenario.act(0, 0, 1)  # the next day's first event: the projector crosses midnight
    Projector(services).catch_up()
    wanted = {public: expected(services, day, public) for public in (False, True)}
    assert "not seen" in str(wanted[False]) and "not seen" not in str(wanted[True])
    for stored in latest_before(redis_client, services.keys, clock.today()):
        # Every programme and initiative of the day's overview, for staff and the public.
        programmes = expected(services, date.fromisoformat(stored), False)
        scopes = len(programmes) + sum(len(p["initiatives"]) for p in programmes)
        assert scopes and redis_client.hlen(rollups_key(services.keys, stored)) == 2 * scopes

    def computed(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a roll-up was computed, not read from the snapshot")

    monkeypatch.setattr(dashboards, "_summary_row", computed)
    state = redis_state(redis_client)
    for public in (False, True):
        assert cold_overview(services, day, public) == wanted[public]
    assert redis_state(redis_client) == state  # an answer only reads


def test_a_late_event_of_the_day_is_computed_beside_the_stored_rollups(
    services: Services, redis_client: redis.Redis, clock: FrozenClock
) -> None:
    """An event stamped within the day but appended after its snapshot (a host whose clock
    is behind) moves its scopes' totals, so those scopes do not take the stored roll-up."""
    start, day = clock.now(), clock.today()
    midnight = datetime.combine(day + timedelta(days=1), time.min, UTC)
    scenario = Scenario(services, day)
    for n in range(3):
        scenario.plan(n, 10)
    Projector(services).catch_up()

    def act_at(moment: datetime, which: int) -> None:
        clock.set(moment)
        assert scenario.act(which, VERBS.index("start"), 0, tries=len(VERBS)) is not None

    try:
        act_at(midnight + timedelta(minutes=20), 0)  # day D+1
        Projector(services).catch_up()  # crosses midnight: the snapshot of D and its roll-ups
        assert redis_client.hlen(rollups_key(services.keys, day.isoformat())) > 0
        before = cold_overview(services, day, False)
        assert before == expected(services, day, False)
        act_at(midnight - timedelta(seconds=5), 1)  # day D, appended late
        clock.set(midnight + timedelta(hours=2))  # D is past again
        after = cold_overview(services, day, False)
        assert after == expected(services, day, False) != before
    finally:
        clock.set(start)


def test_the_digest_covers_the_rollups_and_a_repair_restores_them(
    services: Services, redis_client: redis.Redis, clock: FrozenClock
) -> None:
    first = clock.today()
    spread_over_days(services, clock)
    day = (first + timedelta(days=4)).isoformat()
    key = rollups_key(services.keys, day)
    stamp = stamp_of(redis_client, services.keys, day)
    assert stamp is not None and stamp.digest == digest(redis_client, services.keys, day)
    victim = sorted(redis_client.hkeys(key))[0]
    original = redis_client.hget(key, victim)
    altered = stored_rollups.loads(original or b"")
    altered[1]["milestone_count"] += 1
    redis_client.hset(key, victim, stored_rollups.dumps(altered))
    end_of_day._checked.clear()
    assert check_snapshots(services) == [(day, "its contents do not match its digest")]
    assert repair_snapshots(services) == [day]
    assert redis_client.hget(key, victim) == original
    assert check_snapshots(services) == []


def test_rollups_go_with_their_snapshot(
    services: Services, redis_client: redis.Redis, clock: FrozenClock
) -> None:
    first = clock.today()
    spread_over_days(services, clock)
    day = (first + timedelta(days=2)).isoformat()
    assert redis_client.exists(rollups_key(services.keys, day))
    end_of_day.drop_snapshot(services, day)
    assert not redis_client.exists(rollups_key(services.keys, day))


def test_a_rollup_is_stored_and_read_back_exactly() -> None:
    reason = Phrase("%(days)s days overdue (more than %(limit)s)", days=40, limit=30)
    summary = {
        "counts_by_status": {"planned": 1, "verified": 0},
        "percent_complete": None,
        "overdue": [{"title": "A", "rag": {"colour": "red", "reasons": [reason]}}],
        "due_soon": [],
        "rag": {
            "colour": "red",
            "reasons": [Phrase("%(title)s: %(reason)s", title="A", reason=reason)],
            "more_reasons": 0,
        },
        "position": 7,
    }
    totals = Totals(position=7, disputed=["m-1"])
    back_totals, back = stored_rollups.loads(stored_rollups.dumps((totals, summary)))
    assert (back_totals, back) == (totals, summary)
    assert phrases(back) == phrases(summary)


def test_a_snapshot_whose_rollups_fail_is_sealed_without_them(
    services: Services,
    redis_client: redis.Redis,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("no roll-ups today")

    monkeypatch.setattr(stored_rollups, "write_rollups", broken)
    spread_over_days(services, clock)
    days = latest_before(redis_client, services.keys, clock.today())
    assert days
    for day in days:
        stamp = stamp_of(redis_client, services.keys, day)
        assert stamp is not None and stamp.digest == digest(redis_client, services.keys, day)
        assert not redis_client.exists(rollups_key(services.keys, day))
    day = date.fromisoformat(days[0])
    assert cold_overview(services, day, False) == expected(services, day, False)
