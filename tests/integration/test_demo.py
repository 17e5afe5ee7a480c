"""`reform-tracker demo` loads the brief's example programme through the Tracker, with
overdue milestones whatever the date and months of history recorded at the time each fact
happened, and refuses to load it twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import redis
from rq import Queue

from service.access.policy import TokenRecord
from service.bootstrap import Services, bootstrap
from service.cli import main
from service.cli.demo_data import MOD, PGO
from service.cli.demo_loader import DemoAlreadyLoaded, existing_programme, load_demo
from service.dashboards.queries import DashboardQueries
from service.ledger.domain import merkle
from service.ledger.domain.note import Signer
from service.ledger.exporting import export, import_log, read_export
from service.ledger.tree import leaf_of
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


def test_facts_are_recorded_when_they_happened_in_one_time_order(
    redis_client: redis.Redis,
) -> None:
    services = services_at(redis_client, datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    summary = load_demo(services)
    events = list(services.store.iter_log())
    stamps = [event.recorded_at for event in events]
    assert stamps == sorted(stamps), "recorded-at goes backwards along the global log"
    assert stamps[0] == summary.first_recorded_at == "2026-03-20T09:00:00.000000Z"
    assert stamps[-1] <= "2026-11-25T09:30:00.000000Z", "nothing is recorded in the future"
    months = {stamp[:7] for stamp in stamps}
    assert len(months) >= 8, months
    by_type = {event.type: event for event in events}
    assert by_type["MilestoneReportedComplete"].recorded_at[:10] == "2026-10-23"
    assert by_type["CompletionVerified"].recorded_at[:10] == "2026-10-30"
    assert by_type["MilestoneRescheduled"].recorded_at[:10] == "2026-11-17"
    assert summary.squeezed_after is None


def test_hash_chains_merkle_tree_and_checkpoints_hold_over_the_history(
    redis_client: redis.Redis,
) -> None:
    """A checkpoint signed before the demo and one signed after it are consistent, and a
    months-old demo event has an inclusion proof in the later one."""
    services = services_at(redis_client, datetime(2026, 11, 25, 9, tzinfo=UTC))
    someone = TokenRecord("t-1", "overseer", None, "desk", "2026-11-25T08:00:00Z")
    services.tracker.create_programme(someone, title="Earlier", description="", lead_agency=PGO)
    store, signer = services.store, Signer.generate("demo.example/log")
    store.sealer.seal_all()
    store.tree.grow_all()
    first = store.checkpoints.issue(signer, services.clock.now())
    assert first is not None and first.size == 1

    services.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    summary = load_demo(services)
    assert store.verify().ok
    store.sealer.seal_all()
    store.tree.grow_all()
    second = store.checkpoints.issue(signer, services.clock.now())  # checks consistency
    assert second is not None and second.size == store.head_position() > 1
    old = store.read_log(1, 1)[0]  # the demo programme, the second event of the log
    assert old.stream == f"programme-{summary.programme_id}"
    proof = store.tree.inclusion(old.position, second.size)
    assert proof.leaf_hash == leaf_of(old.hash) and proof.root == second.root
    assert merkle.verify_inclusion(
        old.position - 1, second.size, proof.leaf_hash, proof.hashes, proof.root
    )
    # The log already held an event at 09:00 that day: the history follows it.
    stamps = [event.recorded_at for event in store.iter_log()]
    assert stamps == sorted(stamps)
    assert summary.squeezed_after == "2026-11-25T09:00:00.000000Z"


def test_an_export_of_the_demo_imports_with_its_history(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """The import path keeps each recorded-at, so the restored log answers "as of" a
    past date as the original did."""
    services = services_at(redis_client, datetime(2026, 11, 25, 9, tzinfo=UTC))
    summary = load_demo(services)
    exported = tmp_path / "demo.jsonl"
    with exported.open("w", encoding="utf-8") as out:
        export(services.store, out)
    original = [event.recorded_at for event in services.store.iter_log()]
    queries, day = DashboardQueries(services), date(2026, 8, 1)
    then = queries.programme(summary.programme_id, day)
    assert then["milestone_count"] == 2, "two milestones were planned by August"

    redis_client.flushall()
    assert import_log(services.store, read_export(exported)) == len(original)
    assert services.store.verify().ok
    assert [event.recorded_at for event in services.store.iter_log()] == original
    assert queries.programme(summary.programme_id, day) == then
