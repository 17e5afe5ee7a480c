"""An in-memory read model: the projection folded over events, without Redis.

Used for as-of queries (the status on a past date is the fold of the events recorded up
to then) and by tests as the reference "full rebuild". It answers the same questions as
the Redis read model (service.dashboards.readmodels), so dashboards are computed one way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from service.dashboards.domain.aggregates import Totals, counted_afresh, member_set
from service.dashboards.domain.milestone_projection import Facts
from service.dashboards.domain.projections import (
    AddMember,
    Change,
    IndexDue,
    LoggedEvent,
    Put,
    project,
)
from service.dashboards.domain.readmodel import (
    AGENCIES,
    INITIATIVES,
    MILESTONES,
    PROGRAMMES,
    InitiativeRecord,
    MilestoneRecord,
    ProgrammeRecord,
    record_from_dict,
)


class Snapshot:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, object]] = {
            MILESTONES: {},
            INITIATIVES: {},
            PROGRAMMES: {},
            AGENCIES: {},
        }
        self.members: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        self.due: dict[str, int] = {}
        self.position = 0

    # --- folding -------------------------------------------------------------------

    def milestone(self, milestone_id: str) -> Facts | None:
        found = self.records[MILESTONES].get(milestone_id)
        return found if isinstance(found, dict) else None

    def apply(self, event: LoggedEvent) -> None:
        self.apply_changes(project(event, self))
        self.position = event.position

    def apply_changes(self, changes: Iterable[Change]) -> None:
        for change in changes:
            if isinstance(change, Put):
                self.records[change.family][change.key] = change.record
            elif isinstance(change, AddMember):
                self.members[(change.family, change.name, change.owner)].add(change.member)
            elif isinstance(change, IndexDue):
                if change.ordinal is None:
                    self.due.pop(change.milestone_id, None)
                else:
                    self.due[change.milestone_id] = change.ordinal

    # --- reading (the ReadSource protocol of service.dashboards.domain.dashboards) -------------

    def programmes(self) -> list[ProgrammeRecord]:
        return [r for r in self.records[PROGRAMMES].values() if isinstance(r, ProgrammeRecord)]

    def programme(self, programme_id: str) -> ProgrammeRecord | None:
        found = self.records[PROGRAMMES].get(programme_id)
        return found if isinstance(found, ProgrammeRecord) else None

    def initiative(self, initiative_id: str) -> InitiativeRecord | None:
        found = self.records[INITIATIVES].get(initiative_id)
        return found if isinstance(found, InitiativeRecord) else None

    def initiatives(self, initiative_ids: Iterable[str]) -> list[InitiativeRecord]:
        return [r for i in initiative_ids if (r := self.initiative(i))]

    def member_ids(self, family: str, name: str, owner: str) -> set[str]:
        return set(self.members.get((family, name, owner), ()))

    def milestones(self, milestone_ids: Iterable[str]) -> list[MilestoneRecord]:
        found = (self.milestone(i) for i in milestone_ids)
        return [record_from_dict(MILESTONES, facts) for facts in found if facts]

    def agencies(self) -> list[str]:
        return sorted(self.records[AGENCIES])

    def _scope_records(self, scope: str) -> list[Facts]:
        found = (self.milestone(i) for i in self.member_ids(*member_set(scope)))
        return [facts for facts in found if facts]

    def totals(self, scopes: list[str]) -> dict[str, Totals]:
        return {scope: totals for scope, (totals, _) in self.kept(scopes, date.min).items()}

    def kept(self, scopes: list[str], until: date) -> dict[str, tuple[Totals, list[str]]]:
        """Counted afresh: the reference the kept totals and indexes are compared with."""
        return {scope: counted_afresh(self._scope_records(scope), until) for scope in scopes}


def fold(events: Iterable[LoggedEvent]) -> Snapshot:
    snapshot = Snapshot()
    for event in events:
        snapshot.apply(event)
    return snapshot
