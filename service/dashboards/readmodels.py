"""Read models in Redis: where each family lives, and reading them.

Key layout (every key under the read-model hash tag, ``keys.read_model(name)`` =
``{<prefix>}:rm:<name>``; ``<g>`` is a generation number, ``<family>`` one of milestones,
initiatives, programmes, agencies):

  generations                       hash family -> live generation (absent = 0)
  generation-counter                INCR source of new generation numbers (rebuilds)
  g<g>:<family>:checkpoint          last log position folded into that generation
  g<g>:<family>:records             hash id -> record JSON (MilestoneRecord, ...)
  g<g>:initiatives:milestones:<id>  set of the initiative's milestone ids
  g<g>:programmes:initiatives:<id>  set of the programme's initiative ids
  g<g>:programmes:milestones:<id>   set of the programme's milestone ids
  g<g>:agencies:milestones:<agency> set of the agency's milestone ids
  due                               sorted set milestone id -> due date as date.toordinal(),
                                    only milestones not verified or cancelled (live index)
  g<g>:milestones:aggregates        hash scope -> totals JSON; a scope is "programme:<id>",
                                    "initiative:<id>" or "agency:<agency>" (domain/aggregates.py)
  g<g>:milestones:open:<scope>      sorted set milestone id -> due ordinal, the scope's open
                                    milestones (dashboards read only those due soon or overdue)
  g<g>:milestones:due               the same, while a rebuild builds generation <g>; renamed
                                    to ``due`` when the rebuild switches over
  projector:lease                   the projecting worker's lease (SET NX PX)
  projector:status                  hash: last error, last batch
  projector:wake                    flag: a projection job is queued (coalesces wake-ups)
  check                             JSON: the last check against the log (readmodel_check.py)

A rebuild writes a new generation beside the live one and switches the ``generations``
pointer in one transaction, so readers never see a half-built model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import redis

from service.dashboards.domain.aggregates import Totals
from service.dashboards.domain.readmodel import (
    AGENCIES,
    FAMILIES,
    INITIATIVES,
    MILESTONES,
    PROGRAMMES,
    InitiativeRecord,
    MilestoneRecord,
    ProgrammeRecord,
    record_from_dict,
)
from service.ledger.keys import Keys
from service.ledger.reads import Read, together


@dataclass(frozen=True)
class Layout:
    """Key names of one set of generations. ``live`` puts the due index at its live key;
    ``base`` names a frozen copy instead of a generation (end-of-day snapshots)."""

    keys: Keys
    generations: dict[str, int]
    live: bool = True
    base: str | None = None

    def _family(self, family: str) -> str:
        if self.base is not None:
            return self.keys.read_model(f"{self.base}:{family}")
        return self.keys.read_model(f"g{self.generations.get(family, 0)}:{family}")

    def family_prefix(self, family: str) -> str:
        """What every key of ``family`` in this layout starts with."""
        return self._family(family) + ":"

    def records(self, family: str) -> str:
        return self._family(family) + ":records"

    def checkpoint(self, family: str) -> str:
        return self._family(family) + ":checkpoint"

    def members(self, family: str, name: str, owner: str) -> str:
        return f"{self._family(family)}:{name}:{owner}"

    @property
    def aggregates(self) -> str:
        """Hash scope -> Totals JSON (service.dashboards.domain.aggregates)."""
        return self._family(MILESTONES) + ":aggregates"

    def open_index(self, scope: str) -> str:
        """Sorted set: the scope's open milestones by due date ordinal."""
        return self._family(MILESTONES) + ":open:" + scope

    @property
    def due(self) -> str:
        return self.keys.read_model("due") if self.live else self._family(MILESTONES) + ":due"

    def pattern(self, family: str) -> str:
        """SCAN pattern matching every key of ``family`` in this generation."""
        return self._family(family).replace("[", "\\[").replace("?", "\\?") + ":*"


def generations_key(keys: Keys) -> str:
    return keys.read_model("generations")


def live_generations(client: redis.Redis, keys: Keys) -> dict[str, int]:
    return generations_read(keys).run(client)


def generations_read(keys: Keys) -> Read[dict[str, int]]:
    """``live_generations`` as a Read, to share a round trip."""
    key = generations_key(keys)
    return Read(
        lambda client: client.hgetall(key),
        lambda raw: {family: int(raw.get(family, 0)) for family in FAMILIES},
    )


@dataclass(frozen=True)
class Part:
    """One key of a layout, named independently of the layout: (family, suffix), and the
    Redis type it holds."""

    family: str
    suffix: str
    kind: str  # hash, set, zset or string

    def key(self, layout: Layout) -> str:
        if (self.family, self.suffix) == (MILESTONES, "due"):
            return layout.due
        return layout.family_prefix(self.family) + self.suffix


def layout_parts(client: redis.Redis | redis.client.Pipeline, layout: Layout) -> list[Part]:
    """Every key a layout may hold, listed from its records and totals (no SCAN: the
    keyspace also holds every event stream)."""
    with client.pipeline(transaction=False) as pipe:  # type: ignore[union-attr]
        for family in (PROGRAMMES, INITIATIVES, AGENCIES):
            pipe.hkeys(layout.records(family))
        pipe.hkeys(layout.aggregates)
        programmes, initiatives, agencies, scopes = pipe.execute()
    parts = [Part(f, "records", "hash") for f in FAMILIES]
    parts += [Part(f, "checkpoint", "string") for f in FAMILIES]
    parts += [Part(MILESTONES, "aggregates", "hash"), Part(MILESTONES, "due", "zset")]
    parts += [Part(MILESTONES, f"open:{scope}", "zset") for scope in sorted(scopes)]
    for programme in sorted(programmes):
        parts.append(Part(PROGRAMMES, f"initiatives:{programme}", "set"))
        parts.append(Part(PROGRAMMES, f"milestones:{programme}", "set"))
    parts += [Part(INITIATIVES, f"milestones:{i}", "set") for i in sorted(initiatives)]
    parts += [Part(AGENCIES, f"milestones:{a}", "set") for a in sorted(agencies)]
    return parts


def stored_totals(
    client: redis.Redis | redis.client.Pipeline, layout: Layout, scopes: Iterable[str]
) -> dict[str, Totals | None]:
    wanted = list(scopes)
    raw = client.hmget(layout.aggregates, wanted) if wanted else []
    return {
        scope: Totals.from_dict(orjson.loads(value)) if value else None
        for scope, value in zip(wanted, raw, strict=True)
    }


def checkpoint_read(layout: Layout) -> Read[int]:
    """The log position every family of ``layout`` has reached (the lowest of their
    checkpoints), as a Read: a GET per family, since redis-py's cluster pipelines refuse
    MGET, and a Read may share a pipeline with keys of other slots (the caller's token)."""
    return together(
        lambda *found: min(found),
        *(_position_read(layout.checkpoint(family)) for family in FAMILIES),
    )


def _position_read(key: str) -> Read[int]:
    return Read(lambda client: client.get(key), lambda raw: int(raw or 0))


def decode(family: str, raw: str | bytes | None) -> Any:
    return record_from_dict(family, orjson.loads(raw)) if raw else None


class ReadModels:
    """The live read model, pinned to the generations current when it was opened, so one
    dashboard request reads one consistent generation even if a rebuild switches."""

    def __init__(self, client: redis.Redis, keys: Keys, layout: Layout | None = None) -> None:
        self.redis = client
        self.keys = keys
        self.layout = layout or Layout(keys, live_generations(client, keys))

    def checkpoint(self) -> int:
        """The log position every family has reached (the lowest of their checkpoints)."""
        return checkpoint_read(self.layout).run(self.redis)

    def facts(self, milestone_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Milestone records as stored (dicts), for folding more events onto them."""
        ids = list(milestone_ids)
        raw = self.redis.hmget(self.layout.records(MILESTONES), ids) if ids else []
        return {i: orjson.loads(value) for i, value in zip(ids, raw, strict=True) if value}

    def milestone(self, milestone_id: str) -> MilestoneRecord | None:
        return decode(MILESTONES, self.redis.hget(self.layout.records(MILESTONES), milestone_id))

    def milestones(self, milestone_ids: Iterable[str]) -> list[MilestoneRecord]:
        ids = list(milestone_ids)
        raw = self.redis.hmget(self.layout.records(MILESTONES), ids) if ids else []
        return [decode(MILESTONES, value) for value in raw if value]

    def due_between(self, first: date | None, last: date) -> list[tuple[str, date]]:
        """Open milestones due from ``first`` (None: any time before) to ``last``, inclusive,
        earliest first. Cost grows with the milestones in the range, not with all of them."""
        low = first.toordinal() if first else "-inf"
        found: list[tuple[str, float]] = self.redis.zrangebyscore(  # type: ignore[assignment]
            self.keys.read_model("due"), low, last.toordinal(), withscores=True
        )
        return [(str(member), date.fromordinal(int(score))) for member, score in found]

    def milestone_pages(
        self, member_of: tuple[str, str, str] | None, size: int
    ) -> Iterator[list[MilestoneRecord]]:
        """Milestones a page of about ``size`` at a time, never all at once: every one
        (HSCAN of the records), or the members of ``(family, name, owner)`` (SSCAN, then
        one HMGET per page). In the store's order; a milestone planned meanwhile may or
        may not be included (sets and records only grow, so none comes twice)."""
        cursor: int = 0
        while True:
            if member_of is None:
                found: Any
                cursor, found = self.redis.hscan(
                    self.layout.records(MILESTONES), cursor, count=size
                )
                page = [decode(MILESTONES, raw) for raw in found.values()]
            else:
                key = self.layout.members(*member_of)
                ids: Any
                cursor, ids = self.redis.sscan(key, cursor, count=size)
                page = self.milestones(str(i) for i in ids)
            if page:
                yield page
            if cursor == 0:
                return

    def has_agency(self, agency: str) -> bool:
        return bool(self.redis.hexists(self.layout.records(AGENCIES), agency))

    def programmes(self) -> list[ProgrammeRecord]:
        raw = self.redis.hvals(self.layout.records(PROGRAMMES))
        return [decode(PROGRAMMES, value) for value in raw]

    def programme(self, programme_id: str) -> ProgrammeRecord | None:
        return decode(PROGRAMMES, self.redis.hget(self.layout.records(PROGRAMMES), programme_id))

    def initiative(self, initiative_id: str) -> InitiativeRecord | None:
        raw = self.redis.hget(self.layout.records(INITIATIVES), initiative_id)
        return decode(INITIATIVES, raw)

    def initiatives(self, initiative_ids: Iterable[str]) -> list[InitiativeRecord]:
        ids = list(initiative_ids)
        raw = self.redis.hmget(self.layout.records(INITIATIVES), ids) if ids else []
        return [decode(INITIATIVES, value) for value in raw if value]

    def member_ids(self, family: str, name: str, owner: str) -> set[str]:
        return {str(m) for m in self.redis.smembers(self.layout.members(family, name, owner))}

    def agencies(self) -> list[str]:
        return sorted(str(a) for a in self.redis.hkeys(self.layout.records(AGENCIES)))

    def totals(self, scopes: list[str]) -> dict[str, Totals]:
        raw = self.redis.hmget(self.layout.aggregates, scopes) if scopes else []
        return {scope: _totals(value) for scope, value in zip(scopes, raw, strict=True)}

    def kept(self, scopes: list[str], until: date) -> dict[str, tuple[Totals, list[str]]]:
        """One pipeline: the scopes' totals and their open milestones due by ``until``."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hmget(self.layout.aggregates, scopes)
            for scope in scopes:
                pipe.zrangebyscore(self.layout.open_index(scope), "-inf", until.toordinal())
            raw, *due = pipe.execute() if scopes else [[]]
        return {
            scope: (_totals(value), [str(member) for member in members])
            for scope, value, members in zip(scopes, raw, due, strict=True)
        }


def _totals(raw: str | bytes | None) -> Totals:
    """A scope's stored totals; none stored yet: all zero."""
    return Totals.from_dict(orjson.loads(raw)) if raw else Totals()
