"""Open data: the dashboards' tables as rows, streamed from the live read models.

Each table is a generator of flat rows (one dict per table row, the same keys in the same
order every time), so a download of any size holds one page of records at a time, not
the table: milestones are read ``PAGE`` at a time (service/dashboards/readmodels.py) and
each row is derived ("overdue", RAG) as it goes. The programme and initiative tables are
one row per programme or initiative, each rolled up from its own milestones, as on the
pages: their RAG reasons are bounded as there (RT_SUMMARY_ROWS, with the count of those
left out), and the milestone table has every milestone's own reasons.

Rows carry no actor identities (``verified_by`` is left out): downloads are open data,
the same whoever asks, and with RT_PUBLIC_READ on anyone may ask.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from service.access.disclosure import public_record
from service.dashboards.domain import dashboards
from service.dashboards.domain.dashboards import ReadSource
from service.dashboards.domain.rag import Thresholds
from service.dashboards.domain.readmodel import (
    AGENCIES,
    INITIATIVES,
    PROGRAMMES,
    MilestoneRecord,
)
from service.dashboards.queries import Disclosed
from service.dashboards.readmodels import ReadModels
from service.ledger.domain.errors import InvalidValue, NotFound
from service.ledger.infrastructure import Infrastructure
from service.tracking.domain import milestone as ms

PAGE = 500
OVERDUE, DUE_SOON = "overdue", "due_soon"

MILESTONE_COLUMNS = (
    "milestone_id",
    "title",
    "owner_agency",
    "programme_id",
    "initiative_id",
    "status",
    "progress",
    "planned_start",
    "planned_due_date",
    "due_date",
    "slip_days",
    "replan_count",
    "overdue",
    "days_overdue",
    "due_soon",
    "days_until_due",
    "rag",
    "rag_reasons",
    "evidence_count",
    "reported_complete_at",
    "verified_at",
    "last_progress_at",
    "last_update",
    "blocked_reason",
    "dispute_reason",
    "cancel_reason",
)
SUMMARY_COLUMNS = (
    "rag",
    "rag_reasons",
    "rag_more_reasons",
    "percent_complete",
    "milestone_count",
    "overdue_count",
    "due_soon_count",
    *(f"{status}_count" for status in ms.STATUSES),
)
PROGRAMME_COLUMNS = ("programme_id", "title", "lead_agency", *SUMMARY_COLUMNS)
INITIATIVE_COLUMNS = ("initiative_id", "title", "owner_agency", "lead", *SUMMARY_COLUMNS)


@dataclass(frozen=True)
class Scope:
    """Whose milestones: every one, or a programme's, an initiative's or an agency's."""

    kind: str  # "all", "programme", "initiative" or "agency"
    key: str = ""

    def member_of(self) -> tuple[str, str, str] | None:
        family = {"programme": PROGRAMMES, "initiative": INITIATIVES, "agency": AGENCIES}
        return (family[self.kind], "milestones", self.key) if self.kind != "all" else None


def _rag(found: dict[str, Any]) -> dict[str, Any]:
    return {"rag": found["rag"]["colour"], "rag_reasons": found["rag"]["reasons"]}


def _summary(found: dict[str, Any]) -> dict[str, Any]:
    """A programme's or initiative's row: its roll-up as the dashboards show it, with the
    same bounded RAG reasons (RT_SUMMARY_ROWS) and how many were left out; every reason is
    in the milestone table, one milestone per row."""
    counts = {f"{status}_count": found["counts_by_status"][status] for status in ms.STATUSES}
    return {**found, **_rag(found), "rag_more_reasons": found["rag"]["more_reasons"], **counts}


class OpenData:
    def __init__(self, services: Infrastructure, rules: Thresholds, *, public: bool) -> None:
        """``public``: rows as the public portal sees them, without internal fields (and
        so without RAG reasons that would quote them)."""
        self.services = services
        self.rules = rules
        self.public = public
        self.live = ReadModels(services.redis, services.keys)
        self.source: ReadSource = Disclosed(self.live) if public else self.live
        self.today = services.clock.today()

    def check(self, scope: Scope) -> None:
        """NotFound for a programme, initiative or agency the read models do not know, so
        that a download is refused before it starts rather than cut short."""
        known = {
            "all": lambda: True,
            "programme": lambda: self.live.programme(scope.key) is not None,
            "initiative": lambda: self.live.initiative(scope.key) is not None,
            "agency": lambda: self.live.has_agency(scope.key),
        }[scope.kind]()
        if not known:
            raise NotFound(f"{scope.kind} {scope.key}")

    def records(self, scope: Scope) -> Iterator[MilestoneRecord]:
        for page in self.live.milestone_pages(scope.member_of(), PAGE):
            yield from (public_record(record) for record in page) if self.public else page

    def milestones(self, scope: Scope, only: str | None = None) -> Iterator[dict[str, Any]]:
        if only not in (None, OVERDUE, DUE_SOON):
            raise InvalidValue("only", f"only is {OVERDUE} or {DUE_SOON}")
        for record in self.records(scope):
            row = dashboards.milestone_row(record, self.today, self.rules)
            if only is None or row[only]:
                row.update(_rag(row))
                yield {column: row[column] for column in MILESTONE_COLUMNS}

    def programmes(self) -> Iterator[dict[str, Any]]:
        for programme in sorted(self.live.programmes(), key=lambda p: p.position):
            found = dashboards.programme_dashboard(
                self.source, programme.programme_id, self.today, self.rules
            )
            if found:
                row = _summary(found)
                yield {column: row[column] for column in PROGRAMME_COLUMNS}

    def initiatives(self, programme_id: str) -> Iterator[dict[str, Any]]:
        ids = self.live.member_ids(PROGRAMMES, "initiatives", programme_id)
        for initiative in sorted(self.live.initiatives(ids), key=lambda i: i.position):
            found = dashboards.initiative_dashboard(
                self.source, initiative.initiative_id, self.today, self.rules
            )
            if found:
                row = _summary(found)
                yield {column: row[column] for column in INITIATIVE_COLUMNS}
