"""Dashboard queries for the API and the HTML pages: pick the source (the live read model,
or the log folded to a past date), compute, and say which log position the answer reflects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from service.access.disclosure import public_record
from service.dashboards import as_of as history
from service.dashboards.disclosed import Disclosed
from service.dashboards.domain import dashboards, scorecards
from service.dashboards.domain.dashboards import Memo, ReadSource
from service.dashboards.domain.rag import Thresholds
from service.dashboards.domain.readmodel import (
    MilestoneRecord,
)
from service.dashboards.end_of_day import rollups_key
from service.dashboards.readmodel_check import last_check, last_check_read
from service.dashboards.readmodels import (
    Layout,
    ReadModels,
    checkpoint_read,
    generations_read,
)
from service.dashboards.stored_rollups import StoredRollups
from service.dashboards.summary_memo import PROCESS_MEMO
from service.ledger.domain.errors import NotFound
from service.ledger.infrastructure import Infrastructure
from service.ledger.keys import Keys
from service.ledger.reads import Read, together


@dataclass(frozen=True)
class Reading:
    """A source of records and the day its dashboards are computed for."""

    source: ReadSource
    today: date
    position: int
    head: int
    origin: str  # "read_model" or "log"
    checked: dict[str, Any] | None = None  # the last check of the read models (None: never)
    memo: Memo | None = None  # roll-ups remembered for this source of records

    def envelope(self) -> dict[str, Any]:
        return {
            "as_of_position": self.position,
            "head_position": self.head,
            "lag_events": self.head - self.position if self.origin == "read_model" else 0,
            "as_of_date": self.today,
            "source": self.origin,
            "read_models_checked": self.checked,
        }


# The live layout each deployment's ETags last read, by its keys: a guess that spares a
# round trip, checked against the generations read with it.
_LAYOUTS: dict[Keys, Layout] = {}


class DashboardQueries:
    def __init__(self, services: Infrastructure, *, public: bool = False) -> None:
        """``public``: answer as the public portal (RT_PUBLIC_READ, no token) sees it."""
        self.services = services
        self.public = public
        self.rules = Thresholds.of(services.config)

    def _past_day(self, as_of: date | None) -> date | None:
        """The past day to fold the log to; None when the live read model answers: no
        date, today, or a later day (what the dashboard will say then if nothing changes)."""
        return as_of if as_of is not None and as_of < self.services.clock.today() else None

    def etag(self, path: str, as_of: date | None) -> str:
        return self.etag_read(path, as_of).run(self.services.redis)

    def etag_read(self, path: str, as_of: date | None) -> Read[str]:
        """The ETag, as one Read (one round trip, shared with the caller's token). It
        changes whenever the answer can: a new projected position, log head, day, or
        read-model check. A past day's answer also reports the log's head, and a late
        event of that day may still arrive within the as-of fold's clock-skew margin, so
        its tag moves with the head as well."""
        s = self.services
        parts: list[object] = [path, asdict(self.rules), s.clock.today()]
        parts.append(self.public)  # the public answer differs from a token holder's
        # Every answer carries the last read-model check, which moves on its own; and the
        # log's head, which every answer reports: its position, and the id of the event
        # there, which no other log shares (a store emptied and filled again to the same
        # length under the same prefix is another log, with other answers).
        reads: list[Read[Any]] = [last_check_read(s.keys), s.store.head_read()]
        live = self._past_day(as_of) is None
        # The live read models' generations, and the checkpoints of the layout this
        # process last saw: a rebuild since then (other generations) costs one more read.
        guess = _LAYOUTS.get(s.keys) or Layout(s.keys, {})
        if live:
            reads += [generations_read(s.keys), checkpoint_read(guess)]

        def finish(checked: Any, head: Any, generations: Any = None, position: Any = None) -> str:
            found = [*parts, checked, head]
            if live:
                if generations != guess.generations:
                    layout = _LAYOUTS[s.keys] = Layout(s.keys, generations)
                    position = checkpoint_read(layout).run(s.redis)
                found += [generations, position]
            return '"' + hashlib.sha256(repr(found).encode()).hexdigest()[:32] + '"'

        return together(finish, *reads)

    def reading(self, as_of: date | None, scope: str | None = None) -> Reading:
        """``scope``: the root stream to fold for a past day (None: the whole log)."""
        s = self.services
        store = s.store
        past = self._past_day(as_of)
        checked = last_check(s.redis, s.keys)
        if past is None:
            live = ReadModels(s.redis, s.keys)
            position = live.checkpoint()
            day = max(s.clock.today(), as_of or date.min)
            # A rebuild (a new generation) or a check may replace records in place.
            generations = tuple(sorted(live.layout.generations.items()))
            source_id: tuple[Any, ...] = ("live", generations, repr(checked))
            return Reading(
                self._disclosed(live),
                day,
                position,
                store.head_position(),
                "read_model",
                checked,
                self._memo(source_id),
            )
        source: ReadSource
        snapshot_day = None
        if scope:
            tree = history.fold_tree(store, scope, past)
            source, position = tree, tree.position
        else:
            source, position, snapshot_day = history.snapshot_reading(s, past)
        # The log up to a past day does not change, but for events of that day still
        # arriving (each moves ``position``).
        memo = self._memo(("log", scope, past, position))
        if snapshot_day is not None:
            # The roll-ups stored with the snapshot, for a scope no later event changed.
            stored = rollups_key(s.keys, snapshot_day)
            memo = StoredRollups(memo, s.redis, stored, self.public)
        return Reading(
            self._disclosed(source),
            past,
            position,
            store.head_position(),
            "log",
            checked,
            memo,
        )

    def log_name(self) -> str | None:
        """The id of the log's first event, which no other log shares: several stores may
        share a process (key prefixes, tests), and a Redis emptied and filled again under
        the same prefix holds another log, however alike its positions and generations
        (or, imported, the same one). None while the log is empty."""
        first = self.services.store.read_log(0, 1, sealed=False)
        return first[0].id if first else None

    def _memo(self, source_id: tuple[Any, ...]) -> Memo:
        return PROCESS_MEMO.within(
            (self.services.keys.prefix, self.log_name(), self.public, *source_id)
        )

    def _disclosed(self, source: ReadSource) -> ReadSource:
        return Disclosed(source) if self.public else source

    def milestone_record(self, milestone_id: str) -> MilestoneRecord | None:
        """The live read model of one milestone (None until it is projected)."""
        found = ReadModels(self.services.redis, self.services.keys).milestone(milestone_id)
        return public_record(found) if found and self.public else found

    def _answer(
        self, reading: Reading, found: dict[str, Any] | None, what: str, kind: str, key: str
    ) -> dict:
        if found is None:
            raise NotFound(what, kind, key)
        return {**found, **reading.envelope()}

    def overview(self, as_of: date | None = None) -> dict[str, Any]:
        reading = self.reading(as_of)
        programmes = dashboards.overview(reading.source, reading.today, self.rules, reading.memo)
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
        found = build(reading.source, record_id, reading.today, self.rules, reading.memo)
        return self._answer(reading, found, f"{kind} {record_id}", kind, record_id)

    def scorecard(self, agency: str, as_of: date | None = None) -> dict[str, Any]:
        reading = self.reading(as_of)
        found = scorecards.scorecard(
            reading.source, agency, reading.today, self.rules, reading.memo
        )
        return self._answer(reading, found, f"agency {agency!r} with milestones", "agency", agency)

    def agency_names(self) -> list[str]:
        return ReadModels(self.services.redis, self.services.keys).agencies()

    def agencies(self) -> list[dict[str, Any]]:
        """Every agency with milestones: its live scorecard, without the overdue list."""
        reading = self.reading(None)
        found = []
        for agency in self.agency_names():
            card = scorecards.scorecard(
                reading.source, agency, reading.today, self.rules, reading.memo
            )
            if card:
                card.pop("overdue")
                found.append(card)
        return found

    def titles(self, programme_id: str | None, initiative_id: str | None = None) -> dict:
        """Names for breadcrumbs, from the live read model ("" while not yet projected)."""
        live = ReadModels(self.services.redis, self.services.keys)
        initiative = live.initiative(initiative_id) if initiative_id else None
        programme_id = initiative.programme_id if initiative else programme_id
        programme = live.programme(programme_id) if programme_id else None
        return {
            "programme_id": programme_id,
            "programme": programme.title if programme else "",
            "initiative": initiative.title if initiative else "",
        }

    def programme_titles(self) -> dict[str, str]:
        programmes = ReadModels(self.services.redis, self.services.keys).programmes()
        return {p.programme_id: p.title for p in sorted(programmes, key=lambda p: p.title)}
