"""`reform-tracker demo` loads the brief's example programme through the Tracker, with
overdue milestones whatever the date, and refuses to load it twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis
from rq import Queue

from service.access.policy import TokenRecord
from service.bootstrap import Services, bootstrap
from service.cli import main
from service.cli.demo_data import MOD, PGO
from service.cli.demo_loader import DemoAlreadyLoaded, existing_programme, load_demo
from service.runtime.clock import FrozenClock
from service.runtime.config import Config
from service.tracking.domain.milestone import IN_PROGRESS, PLANNED, VERIFIED
from workers.registry import PROJECTION_QUEUE


def services_at(redis_client: redis.Redis, moment: datetime) -> Services:
    return bootstrap(Config(redis_url="unused"), clock=FrozenClock(moment), client=redis_client)


@pytest.mark.parametrize(
    "moment", [datetime(2026, 11, 25, 9, tzinfo=UTC), datetime(2031, 2, 28, 23, tzinfo=UTC)]
)
def test_demo_shows_every_stage_of_delivery(redis_client: redis.Redis, moment: datetime) -> None:
    services = services_at(redis_client, moment)
    summary = load_demo(services)
    today = services.clock.today()
    milestones = {state.title: state for _initiative, state in summary.milestones}
    initiatives = {initiative for initiative, _state in summary.milestones}
    assert initiatives == {"Law and Order in the Army", "Digital Prevention"}

    overdue = [m for m in milestones.values() if m.is_overdue(today)]
    assert {m.status for m in overdue} == {IN_PROGRESS, PLANNED}
    assert milestones["Body cameras for duty and guard soldiers"].is_overdue(today)
    assert any(0 < m.progress < 100 for m in milestones.values() if m.status == IN_PROGRESS)
    surveillance = milestones["Video surveillance in units"]
    assert surveillance.status == VERIFIED and surveillance.evidence_count == 1
    assert {m.owner_agency for m in milestones.values()} == {PGO, MOD}
    assert services.store.verify().ok


def test_demo_facts_carry_the_role_that_may_state_them(redis_client: redis.Redis) -> None:
    services = services_at(redis_client, datetime(2026, 11, 25, 9, tzinfo=UTC))
    load_demo(services)
    events = list(services.store.iter_log())
    by_type = {event.type: event for event in events}
    assert by_type["CompletionVerified"].actor["role"] == "overseer"
    evidence = by_type["EvidenceAttached"]
    assert evidence.actor == {"token_id": f"demo-reporter-{PGO}", "role": "reporter", "agency": PGO}
    assert len(evidence.payload["sha256"]) == 64
    reschedule = by_type["MilestoneRescheduled"]
    assert reschedule.actor["agency"] == MOD and reschedule.payload["slip_days"] == 65
    assert len({event.correlation_id for event in events}) == 1


def test_second_demo_is_refused_and_appends_nothing(redis_client: redis.Redis) -> None:
    services = services_at(redis_client, datetime(2026, 11, 25, 9, tzinfo=UTC))
    load_demo(services)
    head = services.store.head_position()
    with pytest.raises(DemoAlreadyLoaded, match="already exists"):
        load_demo(services)
    assert services.store.head_position() == head


def test_demo_command(
    capsys: pytest.CaptureFixture[str], redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RT_ALLOW_UNSAFE_REDIS", raising=False)
    assert main(["demo", "--redis-url", redis_url]) == 0
    out = capsys.readouterr().out
    assert "Loaded programme 'Army reform 2026'" in out
    assert "OVERDUE" in out and "verified" in out
    queued = Queue(PROJECTION_QUEUE, connection=redis.Redis.from_url(redis_url)).jobs
    assert [job.func_name for job in queued] == ["workers.jobs.project"], "projector woken"

    assert main(["demo", "--redis-url", redis_url]) == 1
    assert "already exists" in capsys.readouterr().err


def test_a_users_own_programme_of_that_title_does_not_block_the_demo(
    redis_client: redis.Redis,
) -> None:
    services = services_at(redis_client, datetime(2026, 11, 25, 9, tzinfo=UTC))
    someone = TokenRecord("t-1", "overseer", None, "desk", "2026-11-25T09:00:00Z")
    services.tracker.create_programme(
        someone, title="Army reform 2026", description="", lead_agency=PGO
    )
    summary = load_demo(services)
    assert existing_programme(services) == summary.programme_id
