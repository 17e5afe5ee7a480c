"""Dashboard queries for the API and the HTML pages: pick the source (the live read model,
or the log folded to a past date), compute, and say which log position the answer reflects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from service.dashboards import as_of as history
from service.dashboards.domain import dashboards, scorecards
from service.dashboards.domain.dashboards import ReadSource
from service.dashboards.domain.rag import Thresholds
from service.dashboards.domain.readmodel import MilestoneRecord
from service.dashboards.readmodel_check import last_check
from service.dashboards.readmodels import ReadModels, live_generations
from service.ledger.domain.errors import NotFound
from service.ledger.infrastructure import Infrastructure


@dataclass(frozen=True)
class Reading:
    """A source of records and the day its dashboards are computed for."""

    source: ReadSource
    today: date
    position: int
    head: int
    origin: str  # "read_model" or "log"
    checked: dict[str, Any] | None = None  # the last check of the read models (None: never)

    def envelope(self) -> dict[str, Any]:
        return {
            "as_of_position": self.position,
            "head_position": self.head,
            "lag_events": self.head - self.position if self.origin == "read_model" else 0,
            "as_of_date": self.today,
            "source": self.origin,
            "read_models_checked": self.checked,
        }


class DashboardQueries:
    def __init__(self, services: Infrastructure) -> None:
        self.services = services
        config = services.config
        self.rules = Thresholds(
            config.red_overdue_days, config.amber_due_within_days, config.amber_stale_days
        )

    def _past_day(self, as_of: date | None) -> date | None:
        """The past day to fold the log to; None when the live read model answers: no
        date, today, or a later day (what the dashboard will say then if nothing changes)."""
        return as_of if as_of is not None and as_of < self.services.clock.today() else None

    def etag(self, path: str, as_of: date | None) -> str:
        """Changes whenever the answer can: a new projected position, log head, day, or
        read-model check.
        A past day's answer is fixed by the log, so only the request names it."""
        parts: list[object] = [path, asdict(self.rules), self.services.clock.today()]
        # Every answer carries the last read-model check, which moves on its own.
        parts.append(last_check(self.services.redis, self.services.keys))
        if self._past_day(as_of) is None:
            s = self.services
            readmodels = ReadModels(s.redis, s.keys)
            parts += [
                live_generations(s.redis, s.keys),
                readmodels.checkpoint(),
                s.store.head_position(),
            ]
        return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:32] + '"'

    def reading(self, as_of: date | None, scope: str | None = None) -> Reading:
        """``scope``: the root stream to fold for a past day (None: the whole log)."""
        store = self.services.store
        past = self._past_day(as_of)
        checked = last_check(self.services.redis, self.services.keys)
        if past is None:
            live = ReadModels(self.services.redis, self.services.keys)
            position = live.checkpoint()
            day = max(self.services.clock.today(), as_of or date.min)
            return Reading(live, day, position, store.head_position(), "read_model", checked)
        if scope:
            tree = history.fold_tree(store, scope, past)
            return Reading(tree, past, tree.position, store.head_position(), "log", checked)
        source, position = history.overview_as_of(self.services, past)
        return Reading(source, past, position, store.head_position(), "log", checked)

    def milestone_record(self, milestone_id: str) -> MilestoneRecord | None:
        """The live read model of one milestone (None until it is projected)."""
        return ReadModels(self.services.redis, self.services.keys).milestone(milestone_id)

    def _answer(self, reading: Reading, found: dict[str, Any] | None, what: str) -> dict:
        if found is None:
            raise NotFound(what)
        return {**found, **reading.envelope()}

    def overview(self, as_of: date | None = None) -> dict[str, Any]:
        reading = self.reading(as_of)
        programmes = dashboards.overview(reading.source, reading.today, self.rules)
        return {"programmes": programmes, **reading.envelope()}

    def programme(self, programme_id: str, as_of: date | None = None) -> dict[str, Any]:
        return self._scoped(dashboards.programme_dashboard, "programme", programme_id, as_of)

    def initiative(self, initiative_id: str, as_of: date | None = None) -> dict[str, Any]:
        return self._scoped(dashboards.initiative_dashboard, "initiative", initiative_id, as_of)

    def _scoped(
        self,
        build: Callable[..., dict[str, Any] | None],
        kind: str,
        record_id: str,
        as_of: date | None,
    ) -> dict[str, Any]:
        reading = self.reading(as_of, f"{kind}-{record_id}")
        found = build(reading.source, record_id, reading.today, self.rules)
        return self._answer(reading, found, f"{kind} {record_id}")

    def scorecard(self, agency: str, as_of: date | None = None) -> dict[str, Any]:
        reading = self.reading(as_of)
        found = scorecards.scorecard(reading.source, agency, reading.today, self.rules)
        return self._answer(reading, found, f"agency {agency!r} with milestones")
