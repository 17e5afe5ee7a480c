"""Random command sequences through the HTTP API: the folded state, the log and the read
models must always agree, and a refused command must leave no trace.

A hypothesis RuleBasedStateMachine plays reporters of two agencies, an overseer and a
viewer against the Flask app on the real redis-server of the test session.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from service.api.app import create_app
from service.bootstrap import bootstrap
from service.dashboards.projector import Projector
from service.dashboards.readmodels import ReadModels
from service.runtime.config import Config
from service.runtime.redis_server import RedisServer
from service.tracking.domain import events as ev
from service.tracking.domain import milestone as ms
from tests.conftest import AGENCY_A, AGENCY_B, bearer

VERBS = [
    "start",
    "report-progress",
    "reschedule",
    "block",
    "unblock",
    "attach-evidence",
    "report-complete",
    "verify",
    "dispute",
    "cancel",
    "comment",
]
PERSONAS = ["reporter_a", "reporter_b", "overseer", "viewer"]
DAY0 = date(2026, 1, 1)


def allowed(persona: str, verb: str) -> bool:
    if persona == "overseer":
        return verb in ("verify", "dispute", "cancel", "comment")
    if persona == "reporter_a":
        return verb not in ("verify", "dispute")
    return False  # the viewer, and the reporter of another agency


def bodies(verb: str) -> st.SearchStrategy[dict[str, Any]]:
    text = st.text(min_size=0, max_size=8)
    reason = st.text(min_size=0, max_size=8)
    return {
        "report-progress": st.fixed_dictionaries({"percent": st.integers(-5, 105)}),
        "reschedule": st.fixed_dictionaries(
            {
                "new_due_date": st.integers(-30, 400).map(lambda d: str(DAY0 + timedelta(d))),
                "reason": reason,
            }
        ),
        "block": st.fixed_dictionaries({"reason": reason}),
        "dispute": st.fixed_dictionaries({"reason": reason}),
        "cancel": st.fixed_dictionaries({"reason": reason}),
        "comment": st.fixed_dictionaries({"text": reason}),
        "attach-evidence": st.fixed_dictionaries(
            {
                "uri": st.just("https://example.org/e.pdf"),
                "sha256": st.sampled_from(["ab" * 32, "zz"]),
                "media_type": st.just("application/pdf"),
                "captured_at": st.just("2026-03-01T10:00:00+00:00"),
            }
        ),
    }.get(verb, st.fixed_dictionaries({"note": text}))


def make_machine(url: str) -> type[RuleBasedStateMachine]:
    class ApiMachine(RuleBasedStateMachine):
        milestones = Bundle("milestones")

        def __init__(self) -> None:
            super().__init__()
            redis.Redis.from_url(url).flushall()
            self.services = bootstrap(Config(redis_url=url, log_level="WARNING", rate_limit=""))
            self.client = create_app(services=self.services).test_client()
            tokens = self.services.tokens
            self.tokens = {
                "reporter_a": tokens.create("reporter", AGENCY_A)[0],
                "reporter_b": tokens.create("reporter", AGENCY_B)[0],
                "overseer": tokens.create("overseer", None)[0],
                "viewer": tokens.create("viewer", None)[0],
            }
            self.acknowledged = 0  # events the API said it appended

        def post(self, persona: str, path: str, body: dict[str, Any]) -> Any:
            response = self.client.post(path, json=body, headers=bearer(self.tokens[persona]))
            if response.status_code in (200, 201):
                events = response.json.get("events")
                self.acknowledged += len(events) if events is not None else 1
            return response

        @initialize(target=milestones)
        def plan_first(self) -> str:
            programme = self.post(
                "overseer", "/programmes", {"title": "Army reform", "lead_agency": "PGO"}
            ).json
            initiative = self.post(
                "overseer",
                f"/programmes/{programme['programme_id']}/initiatives",
                {"title": "Law and Order", "owner_agency": AGENCY_A},
            ).json
            self.initiative = initiative["initiative_id"]
            return self.plan_milestone(10, 200)

        def plan_milestone(self, start: int, due: int) -> str:
            response = self.post(
                "reporter_a",
                f"/initiatives/{self.initiative}/milestones",
                {
                    "title": "Body cameras",
                    "planned_start": str(DAY0 + timedelta(start)),
                    "due_date": str(DAY0 + timedelta(due)),
                },
            )
            assert response.status_code == 201, response.json
            return str(response.json["milestone_id"])

        @rule(target=milestones, start=st.integers(0, 100), length=st.integers(0, 300))
        def plan(self, start: int, length: int) -> str:
            return self.plan_milestone(start, start + length)

        @rule(
            milestone=milestones,
            verb=st.sampled_from(VERBS),
            persona=st.sampled_from(PERSONAS),
            data=st.data(),
        )
        def command(self, milestone: str, verb: str, persona: str, data: st.DataObject) -> None:
            before = self.state(milestone)
            body = data.draw(bodies(verb))
            response = self.post(persona, f"/milestones/{milestone}/{verb}", body)
            if response.status_code == 200:
                assert response.json["milestone"]["version"] == before["version"] + len(
                    response.json["events"]
                )
            else:
                assert response.status_code in (403, 409, 422), response.json
                assert response.content_type == "application/problem+json"
                assert self.state(milestone) == before, "a refused command changed state"
            if not allowed(persona, verb):
                # Body validation may answer first (422); a forbidden write never succeeds.
                assert response.status_code in (403, 422), (persona, verb, response.json)

        def state(self, milestone: str) -> dict[str, Any]:
            return self.client.get(
                f"/milestones/{milestone}", headers=bearer(self.tokens["viewer"])
            ).json

        @invariant()
        def state_is_the_fold_of_its_events(self) -> None:
            for milestone in (
                self.services.store.children(f"initiative-{self.initiative}")
                if hasattr(self, "initiative")
                else []
            ):
                milestone_id = milestone.split("-", 1)[1]
                events = self.client.get(
                    f"/milestones/{milestone_id}/events?limit=500",
                    headers=bearer(self.tokens["viewer"]),
                ).json["events"]
                folded = ms.fold(ev.from_payload(e["type"], e["payload"]) for e in events)
                api = self.state(milestone_id)
                assert folded is not None
                assert (
                    api["status"],
                    api["progress"],
                    api["due_date"],
                    api["slip_days"],
                    api["evidence_count"],
                    api["version"],
                ) == (
                    folded.status,
                    folded.progress,
                    folded.due_date.isoformat(),
                    folded.slip_days,
                    folded.evidence_count,
                    len(events),
                )

        @invariant()
        def log_holds_exactly_what_was_acknowledged(self) -> None:
            assert self.services.store.head_position() == self.acknowledged

        def teardown(self) -> None:
            if not hasattr(self, "initiative"):
                return
            Projector(self.services).catch_up()
            read_models = ReadModels(self.services.redis, self.services.keys)
            for milestone in self.services.store.children(f"initiative-{self.initiative}"):
                milestone_id = milestone.split("-", 1)[1]
                record = read_models.milestone(milestone_id)
                api = self.state(milestone_id)
                assert record is not None
                assert (
                    record.status,
                    record.progress,
                    record.due_date,
                    record.version,
                    record.applied,
                ) == (
                    api["status"],
                    api["progress"],
                    api["due_date"],
                    api["version"],
                    api["version"],
                )
            assert self.services.store.verify().ok

    return ApiMachine


@pytest.mark.slow
def test_api_state_machine(redis_server: RedisServer) -> None:
    run_state_machine_as_test(
        make_machine(redis_server.url),
        settings=settings(
            max_examples=50,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
