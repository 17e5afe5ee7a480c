"""Dashboards read from kept scope totals and open indexes equal the roll-up over every
milestone, whatever the history and the day they are read for; the read-model check names
a kept total or index that was edited."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from datetime import timedelta

import orjson
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.bootstrap import Services
from service.dashboards.domain.aggregates import COMPLETED, initiative_scope, programme_scope
from service.dashboards.domain.dashboards import rollup, scope_summaries
from service.dashboards.domain.milestone_projection import CLOSED
from service.dashboards.domain.rag import Thresholds
from service.dashboards.domain.readmodel import AGENCIES, INITIATIVES, PROGRAMMES, MilestoneRecord
from service.dashboards.domain.scorecards import delivery, scorecard
from service.dashboards.domain.snapshot import fold
from service.dashboards.projector import Projector
from service.dashboards.readmodel_check import AGGREGATES, check_read_models
from service.dashboards.readmodels import Layout, ReadModels, live_generations
from tests.projection_support import Scenario, random_history

RULES = Thresholds()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.integers(5, 80),
    seed=st.integers(0, 10_000),
    offset=st.integers(-90, 120),
)
def test_a_summary_from_kept_totals_equals_the_roll_up_of_every_milestone(
    services: Services, redis_client: redis.Redis, steps: int, seed: int, offset: int
) -> None:
    redis_client.flushdb()
    scenario = Scenario(services, services.clock.today())
    random_history(scenario, steps, seed)
    Projector(services, batch_size=7).catch_up()
    today = services.clock.today() + timedelta(days=offset)
    live = ReadModels(redis_client, services.keys)
    folded = fold(services.store.iter_log())
    for programme in folded.programmes():
        pid = programme.programme_id
        scopes = [(programme_scope(pid), (PROGRAMMES, "milestones", pid))]
        for iid in folded.member_ids(PROGRAMMES, "initiatives", pid):
            scopes.append((initiative_scope(iid), (INITIATIVES, "milestones", iid)))
        for scope, members in scopes:
            everything = rollup(folded.milestones(folded.member_ids(*members)), today, RULES)
            colours = Counter(row["rag"]["colour"] for row in everything.pop("rows"))
            assert everything["counts_by_rag"] == {c: colours[c] for c in ("green", "amber", "red")}
            assert scope_summaries(live, [scope], today, RULES)[scope][1] == everything
            assert scope_summaries(folded, [scope], today, RULES)[scope][1] == everything


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.integers(5, 80), seed=st.integers(0, 10_000))
def test_a_scorecard_counts_every_completed_milestone_without_reading_the_open_ones(
    services: Services, redis_client: redis.Redis, steps: int, seed: int
) -> None:
    redis_client.flushdb()
    scenario = Scenario(services, services.clock.today())
    random_history(scenario, steps, seed)
    Projector(services, batch_size=7).catch_up()
    today = services.clock.today()
    live = ReadModels(redis_client, services.keys)
    folded = fold(services.store.iter_log())
    for agency in folded.agencies():
        records = folded.milestones(folded.member_ids(AGENCIES, "milestones", agency))
        completed = [delivery(r) for r in records if r.status in COMPLETED]
        expected = sorted(completed, key=lambda d: (d["completed_on"], d["title"]))
        found = scorecard(live, agency, today, RULES)
        assert found is not None and found["deliveries_count"] == len(expected)
        assert found["deliveries"] == expected[-RULES.summary_rows :]  # the latest
        assert found == scorecard(folded, agency, today, RULES)
        read: list[list[str]] = []
        reading = _Reading(live, read)
        assert scorecard(reading, agency, today, RULES) == found
        still_open = {r.milestone_id for r in records if r.status not in COMPLETED | CLOSED}
        if expected:  # the last read is the deliveries': no milestone still open
            assert still_open.isdisjoint(read[-1]) and len(read[-1]) < len(records) + 1


class _Reading(ReadModels):
    """The live read model, noting which milestone ids each read asks for."""

    def __init__(self, live: ReadModels, read: list[list[str]]) -> None:
        super().__init__(live.redis, live.keys)
        self.read = read

    def milestones(self, milestone_ids: Iterable[str]) -> list[MilestoneRecord]:
        ids = list(milestone_ids)
        self.read.append(ids)
        return super().milestones(ids)


def _layout(services: Services) -> Layout:
    return Layout(services.keys, live_generations(services.redis, services.keys))


def _projected(services: Services) -> Scenario:
    scenario = Scenario(services, services.clock.today())
    random_history(scenario, 60, seed=5)
    Projector(services).catch_up()
    assert check_read_models(services).ok
    return scenario


def test_an_edited_total_is_named(services: Services, redis_client: redis.Redis) -> None:
    _projected(services)
    layout = _layout(services)
    scope = sorted(str(s) for s in redis_client.hkeys(layout.aggregates))[0]
    totals = orjson.loads(redis_client.hget(layout.aggregates, scope))
    totals["progress_sum"] += 10
    redis_client.hset(layout.aggregates, scope, orjson.dumps(totals))
    found = check_read_models(services).difference
    assert found is not None and (found.family, found.id, found.field) == (
        AGGREGATES,
        scope,
        "totals",
    ), found


def test_a_milestone_dropped_from_an_open_index_is_named(
    services: Services, redis_client: redis.Redis
) -> None:
    scenario = _projected(services)
    layout = _layout(services)
    live = ReadModels(redis_client, services.keys)
    record = next(
        r for r in live.milestones(scenario.milestones) if r.status not in ("verified", "cancelled")
    )
    scope = programme_scope(asdict(record)["programme_id"])
    redis_client.zrem(layout.open_index(scope), record.milestone_id)
    found = check_read_models(services).difference
    assert found is not None and (found.family, found.id, found.field) == (
        AGGREGATES,
        scope,
        "open",
    ), found
