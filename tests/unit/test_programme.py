"""Creating programmes and launching initiatives: required fields, limits, folds."""

from __future__ import annotations

import pytest

from service.ledger.domain.errors import InvalidValue
from service.tracking.domain import events as ev
from service.tracking.domain.programme import (
    Initiative,
    Programme,
    create_programme,
    fold_initiative,
    fold_programme,
    launch_initiative,
)

ARMY_REFORM = Programme(
    programme_id="p-army-2026",
    title="Army reform 2026",
    description="",
    lead_agency="prosecutor-general",
)


def programme_events(**overrides: str) -> list[ev.DomainEvent]:
    fields = {
        "programme_id": "p-army-2026",
        "title": "Army reform 2026",
        "description": "Oversight of the military reform",
        "lead_agency": "prosecutor-general",
    } | overrides
    return create_programme(**fields)


def initiative_events(**overrides: str) -> list[ev.DomainEvent]:
    fields = {
        "initiative_id": "i-law-and-order",
        "title": "Law and Order in the Army",
        "description": "Video surveillance in units",
        "owner_agency": "ministry-of-defence",
        "lead": "Deputy Prosecutor General",
    } | overrides
    return launch_initiative(ARMY_REFORM, **fields)


def test_creating_a_programme_records_trimmed_fields() -> None:
    [event] = programme_events(title="  Army reform 2026 ", description=" text \n")
    assert event == ev.ProgrammeCreated(
        programme_id="p-army-2026",
        title="Army reform 2026",
        description="text",
        lead_agency="prosecutor-general",
    )


def test_a_programme_description_is_optional() -> None:
    [event] = programme_events(description="   ")
    assert isinstance(event, ev.ProgrammeCreated)
    assert event.description == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", " \t "),
        ("title", "t" * 201),
        ("lead_agency", ""),
        ("lead_agency", "   "),
        ("lead_agency", "a" * 101),
    ],
)
def test_a_programme_needs_a_title_and_lead_agency_within_limits(field: str, value: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        programme_events(**{field: value})
    assert refused.value.field == field
    assert refused.value.code == "invalid_value"


def test_programme_limits_are_inclusive() -> None:
    [event] = programme_events(title="t" * 200, lead_agency="a" * 100)
    assert isinstance(event, ev.ProgrammeCreated)
    assert (len(event.title), len(event.lead_agency)) == (200, 100)


def test_launching_an_initiative_links_it_to_its_programme() -> None:
    [event] = initiative_events(lead="  ", description=" cameras ")
    assert event == ev.InitiativeLaunched(
        initiative_id="i-law-and-order",
        programme_id="p-army-2026",
        title="Law and Order in the Army",
        description="cameras",
        owner_agency="ministry-of-defence",
        lead="",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "t" * 201),
        ("owner_agency", " "),
        ("owner_agency", "a" * 101),
    ],
)
def test_an_initiative_needs_a_title_and_owner_agency_within_limits(field: str, value: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        initiative_events(**{field: value})
    assert refused.value.field == field


def test_folds_rebuild_programme_and_initiative_from_their_events() -> None:
    assert fold_programme([]) is None
    assert fold_initiative([]) is None
    assert fold_programme(programme_events()) == Programme(
        programme_id="p-army-2026",
        title="Army reform 2026",
        description="Oversight of the military reform",
        lead_agency="prosecutor-general",
    )
    assert fold_initiative(initiative_events()) == Initiative(
        initiative_id="i-law-and-order",
        programme_id="p-army-2026",
        title="Law and Order in the Army",
        description="Video surveillance in units",
        owner_agency="ministry-of-defence",
        lead="Deputy Prosecutor General",
    )


def test_folds_ignore_events_of_other_aggregates() -> None:
    assert fold_programme(initiative_events()) is None
    assert fold_initiative(programme_events()) is None


def test_programme_and_initiative_events_round_trip_through_payloads() -> None:
    for event in programme_events() + initiative_events():
        assert ev.from_payload(event.type, event.to_payload()) == event


def test_unknown_event_types_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        ev.from_payload("ProgrammeRenamed", {"title": "x"})
