"""The read-model check folds the log and names the first live record that differs:
an honest state passes, a record edited in Redis is named with its field, and a
projector still catching up is not mistaken for tampering."""

from __future__ import annotations

import orjson
import redis

from service.bootstrap import Services
from service.dashboards.domain.readmodel import MILESTONES, PROGRAMMES
from service.dashboards.projector import Projector
from service.dashboards.queries import DashboardQueries
from service.dashboards.readmodel_check import check_read_models, last_check
from service.dashboards.readmodels import Layout, live_generations
from tests.projection_support import Scenario, random_history


def projected(services: Services) -> Scenario:
    scenario = Scenario(services, services.clock.today())
    random_history(scenario, 40, seed=12)
    Projector(services).catch_up()
    return scenario


def records_key(services: Services, family: str) -> str:
    layout = Layout(services.keys, live_generations(services.redis, services.keys))
    return layout.records(family)


def test_an_honest_state_checks_out_and_the_dashboards_say_so(services: Services) -> None:
    projected(services)
    assert DashboardQueries(services).overview()["read_models_checked"] is None
    check = check_read_models(services)
    assert check.ok and check.difference is None, check
    assert check.checkpoints[MILESTONES] == services.store.head_position()
    shown = DashboardQueries(services).overview()["read_models_checked"]
    assert shown == last_check(services.redis, services.keys) == check.to_dict()
    assert shown["ok"] is True and shown["checked_at"]


def test_a_tampered_record_is_named_with_its_field(
    services: Services, redis_client: redis.Redis
) -> None:
    scenario = projected(services)
    key = records_key(services, MILESTONES)
    target = sorted(scenario.milestones)[1]
    record = orjson.loads(redis_client.hget(key, target))
    assert record["status"] != "verified"
    redis_client.hset(key, target, orjson.dumps({**record, "status": "verified"}))
    check = check_read_models(services)
    assert not check.ok and check.difference is not None
    found = check.difference
    assert (found.family, found.id, found.field) == (MILESTONES, target, "status"), found
    shown = DashboardQueries(services).overview()["read_models_checked"]
    assert shown["ok"] is False and shown["difference"]["id"] == target


def test_a_deleted_record_is_named(services: Services, redis_client: redis.Redis) -> None:
    projected(services)
    key = records_key(services, PROGRAMMES)
    victim = sorted(str(k) for k in redis_client.hkeys(key))[0]
    redis_client.hdel(key, victim)
    found = check_read_models(services).difference
    assert found is not None and (found.family, found.id, found.field) == (
        PROGRAMMES,
        victim,
        None,
    )
    assert "not in the read model" in found.reason


def test_a_projector_still_catching_up_is_not_tampering(services: Services) -> None:
    scenario = projected(services)
    checkpoint = services.store.head_position()
    for step in range(10):
        scenario.act(step, step, 50)
    assert services.store.head_position() > checkpoint  # the projector has not seen these
    check = check_read_models(services)
    assert check.ok, check
    assert check.checkpoints[MILESTONES] == checkpoint
