"""Programme and Initiative aggregates: created once, then referenced by milestones."""

from __future__ import annotations

from dataclasses import dataclass

from service.ledger.domain.errors import InvalidValue
from service.tracking.domain import events as ev


def _required(field: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise InvalidValue(field, f"{field} is required")
    if len(value) > limit:
        raise InvalidValue(field, f"{field} is longer than {limit} characters")
    return value


@dataclass(frozen=True)
class Programme:
    programme_id: str
    title: str
    description: str
    lead_agency: str


@dataclass(frozen=True)
class Initiative:
    initiative_id: str
    programme_id: str
    title: str
    description: str
    owner_agency: str
    lead: str


def create_programme(
    *, programme_id: str, title: str, description: str, lead_agency: str
) -> list[ev.DomainEvent]:
    return [
        ev.ProgrammeCreated(
            programme_id=programme_id,
            title=_required("title", title, 200),
            description=description.strip(),
            lead_agency=_required("lead_agency", lead_agency, 100),
        )
    ]


def launch_initiative(
    programme: Programme,
    *,
    initiative_id: str,
    title: str,
    description: str,
    owner_agency: str,
    lead: str,
) -> list[ev.DomainEvent]:
    return [
        ev.InitiativeLaunched(
            initiative_id=initiative_id,
            programme_id=programme.programme_id,
            title=_required("title", title, 200),
            description=description.strip(),
            owner_agency=_required("owner_agency", owner_agency, 100),
            lead=lead.strip(),
        )
    ]


def fold_programme(events: list[ev.DomainEvent]) -> Programme | None:
    for event in events:
        if isinstance(event, ev.ProgrammeCreated):
            return Programme(
                programme_id=event.programme_id,
                title=event.title,
                description=event.description,
                lead_agency=event.lead_agency,
            )
    return None


def fold_initiative(events: list[ev.DomainEvent]) -> Initiative | None:
    for event in events:
        if isinstance(event, ev.InitiativeLaunched):
            return Initiative(
                initiative_id=event.initiative_id,
                programme_id=event.programme_id,
                title=event.title,
                description=event.description,
                owner_agency=event.owner_agency,
                lead=event.lead,
            )
    return None
