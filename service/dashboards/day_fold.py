"""A read model held in Redis (an end-of-day snapshot) with a few more events folded onto
it in memory, read through the same questions dashboards ask (ReadSource).

The events are projected by the projector's own batch projection; only the records they
touch are read from Redis, so the cost grows with the events folded, not with the model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from service.dashboards.domain.aggregates import ScopeChanges, Totals, scope_changes, scopes_of
from service.dashboards.domain.milestone_projection import Facts
from service.dashboards.domain.projection_batch import project_batch
from service.dashboards.domain.projections import AddMember, Put, milestone_id_of
from service.dashboards.domain.readmodel import (
    FAMILIES,
    INITIATIVES,
    MILESTONES,
    PROGRAMMES,
    InitiativeRecord,
    MilestoneRecord,
    ProgrammeRecord,
    record_from_dict,
)
from service.dashboards.readmodels import ReadModels
from service.ledger.domain.chain import RecordedEvent


class DayFold:
    def __init__(self, base: ReadModels, events: Sequence[RecordedEvent], position: int) -> None:
        """``base`` reflects the log up to ``position``; ``events`` come after it, in order."""
        self.base = base
        self.position = events[-1].position if events else position
        ids = {mid for event in events if (mid := milestone_id_of(event.stream))}
        touched: dict[str, Facts | None] = {i: None for i in ids}
        touched.update(base.facts(ids))
        before = dict(touched)
        changes = project_batch(events, touched, dict.fromkeys(FAMILIES, position))
        self.puts: dict[str, dict[str, Any]] = defaultdict(dict)
        self.added: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for change in changes:
            if isinstance(change, Put):
                self.puts[change.family][change.key] = change.record
            elif isinstance(change, AddMember):
                self.added[(change.family, change.name, change.owner)].add(change.member)
        after: dict[str, Facts] = self.puts[MILESTONES]
        scopes = {scope for record in after.values() for scope in scopes_of(record)}
        stored = {scope: kept[0] for scope, kept in base.kept(list(scopes), date.min).items()}
        self.scopes: ScopeChanges = scope_changes(before, after, stored)

    def programmes(self) -> list[ProgrammeRecord]:
        found = {p.programme_id: p for p in self.base.programmes()}
        return list({**found, **self.puts[PROGRAMMES]}.values())

    def programme(self, programme_id: str) -> ProgrammeRecord | None:
        found = self.puts[PROGRAMMES].get(programme_id)
        return found if found is not None else self.base.programme(programme_id)

    def initiative(self, initiative_id: str) -> InitiativeRecord | None:
        found = self.puts[INITIATIVES].get(initiative_id)
        return found if found is not None else self.base.initiative(initiative_id)

    def initiatives(self, initiative_ids: Iterable[str]) -> list[InitiativeRecord]:
        ids = list(initiative_ids)
        mine = self.puts[INITIATIVES]
        return [mine[i] for i in ids if i in mine] + self.base.initiatives(
            i for i in ids if i not in mine
        )

    def member_ids(self, family: str, name: str, owner: str) -> set[str]:
        return self.base.member_ids(family, name, owner) | self.added.get(
            (family, name, owner), set()
        )

    def milestones(self, milestone_ids: Iterable[str]) -> list[MilestoneRecord]:
        ids = list(milestone_ids)
        mine = self.puts[MILESTONES]
        return [record_from_dict(MILESTONES, mine[i]) for i in ids if i in mine] + (
            self.base.milestones(i for i in ids if i not in mine)
        )

    def totals(self, scopes: list[str]) -> dict[str, Totals]:
        return {
            scope: self.scopes.totals.get(scope, totals)
            for scope, totals in self.base.totals(scopes).items()
        }

    def kept(self, scopes: list[str], until: date) -> dict[str, tuple[Totals, list[str]]]:
        last = until.toordinal()
        found = {}
        for scope, (totals, due) in self.base.kept(scopes, until).items():
            indexed = self.scopes.indexed.get(scope, {})
            moved = self.scopes.unindexed.get(scope, set()) | set(indexed)
            due = [i for i in due if i not in moved]
            due += [i for i, ordinal in indexed.items() if ordinal <= last]
            found[scope] = (self.scopes.totals.get(scope, totals), due)
        return found
