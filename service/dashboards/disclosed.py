"""A read source as the public portal sees it (service/access/disclosure.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from service.access.disclosure import public_record
from service.dashboards.domain.aggregates import Totals
from service.dashboards.domain.dashboards import ReadSource
from service.dashboards.domain.readmodel import (
    InitiativeRecord,
    MilestoneRecord,
    ProgrammeRecord,
)


class Disclosed:
    """A read source as the public portal sees it: milestone records without their
    internal fields (service/access/disclosure.py), so no RAG reason can quote them."""

    def __init__(self, source: ReadSource) -> None:
        self.source = source

    def programmes(self) -> list[ProgrammeRecord]:
        return self.source.programmes()

    def programme(self, programme_id: str) -> ProgrammeRecord | None:
        return self.source.programme(programme_id)

    def initiative(self, initiative_id: str) -> InitiativeRecord | None:
        return self.source.initiative(initiative_id)

    def initiatives(self, initiative_ids: Iterable[str]) -> list[InitiativeRecord]:
        return self.source.initiatives(initiative_ids)

    def member_ids(self, family: str, name: str, owner: str) -> set[str]:
        return self.source.member_ids(family, name, owner)

    def milestones(self, milestone_ids: Iterable[str]) -> list[MilestoneRecord]:
        return [public_record(record) for record in self.source.milestones(milestone_ids)]

    def totals(self, scopes: list[str]) -> dict[str, Totals]:
        return {scope: public_record(t) for scope, t in self.source.totals(scopes).items()}

    def kept(self, scopes: list[str], until: date) -> dict[str, tuple[Totals, list[str]]]:
        return {
            scope: (public_record(totals), due)
            for scope, (totals, due) in self.source.kept(scopes, until).items()
        }
