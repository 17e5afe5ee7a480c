"""Application service for bulk reports: check a whole report, then append it.

``check`` resolves every row's milestone, authorizes it, and decides the rows in file
order with the single-command decisions (``domain.imports``); any problem refuses the
whole report (``ReportRefused``) and nothing is appended. ``apply`` checks the same way,
then appends every milestone's events, each at the version it was checked at, in one
atomic script (``ledger.batch.append_all``): the whole report is appended, or nothing of
it. Should another writer move a milestone on between the check and the append, nothing
is written, the rows are decided again on the new state, and the report is appended
then, or refused as a conflict naming the rows that no longer hold.

One Idempotency-Key covers a report. The first milestone's append carries the key itself
(so a single command that reuses it, or another report, is told the key is taken) and
every other milestone's append carries the key plus its milestone id. A retry looks them
all up first and answers with the first outcome, appending nothing twice.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from service.access import policy
from service.access.policy import Forbidden, TokenRecord
from service.ledger.batch import MAX_ALL_EVENTS, append_all
from service.ledger.domain.errors import NotFound
from service.ledger.eventstore import AppendResult, Idempotency, Replay, VersionConflict
from service.ledger.reads import replies
from service.tracking.domain import imports
from service.tracking.domain import milestone as ms
from service.tracking.domain.imports import ReportRow, RowError
from service.tracking.spreadsheets import Table, TemplateRow
from service.tracking.tracker import MILESTONE_COMMANDS, RETRIES, Loaded, Tracker, _actor

DECISIONS = {verb: decide for verb, (decide, _) in MILESTONE_COMMANDS.items()}
HELD_SECONDS = 30 * 60  # how long an upload waits for its confirmation
READ_CHUNK = 500  # milestones read per round trip


class ReportRefused(Exception):
    """The report was not appended; ``errors`` name every row, column and problem."""

    def __init__(
        self, errors: Sequence[RowError], *, forbidden: bool = False, conflict: bool = False
    ) -> None:
        super().__init__(f"{len(errors)} problem(s) in the report")
        self.errors = sorted(errors, key=lambda e: (e.row, e.column))
        self.forbidden = forbidden
        self.conflict = conflict


@dataclass(frozen=True)
class Part:
    """One milestone's rows of a report, decided on the milestone as it was loaded."""

    loaded: Loaded[ms.Milestone]
    rows: list[ReportRow]
    decided: imports.Decided


@dataclass(frozen=True)
class Appended:
    """What a report appended to one milestone (or had appended, for a retry)."""

    milestone_id: str
    rows: list[int]
    first_version: int
    last_version: int

    @property
    def events(self) -> int:
        return self.last_version - self.first_version + 1


@dataclass(frozen=True)
class ReportOutcome:
    milestones: list[Appended]
    replayed: bool

    @property
    def rows(self) -> int:
        return sum(len(part.rows) for part in self.milestones)

    @property
    def events(self) -> int:
        return sum(part.events for part in self.milestones)


Groups = dict[str, list[ReportRow]]  # milestone id -> its rows, in file order


class Importer:
    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.store = tracker.store

    # --- checking ------------------------------------------------------------------

    def check(self, token: TokenRecord, table: Table) -> list[Part]:
        """The report decided row by row, appending nothing; ReportRefused if any row
        is refused."""
        groups, errors = self._prepare(table)
        return self._decide(token, groups, errors)

    def _prepare(self, table: Table) -> tuple[Groups, list[RowError]]:
        # A row the reader found fault with (a formula, say) is not parsed as well: its
        # cells are not what the person wrote.
        faulty = {error.row for error in table.errors}
        parsed = imports.parse(record for record in table.records if record[0] not in faulty)
        errors = table.errors + parsed.errors
        if not parsed.rows and not errors:
            errors.append(RowError(0, "", "the report has no row with a command"))
        groups: Groups = {}
        for row, milestone_id in self._resolve(parsed.rows, errors):
            groups.setdefault(milestone_id, []).append(row)
        return groups, errors

    def _resolve(
        self, rows: list[ReportRow], errors: list[RowError]
    ) -> Iterator[tuple[ReportRow, str]]:
        """Each row with the id of the milestone it names; rows naming none are errors."""
        titles: dict[str, dict[str, list[str]]] | None = None
        for row in rows:
            if row.milestone_id is not None:
                try:
                    yield row, str(uuid.UUID(row.milestone_id))
                except ValueError:
                    errors.append(
                        RowError(row.number, imports.MILESTONE_ID, "is not a milestone id")
                    )
                continue
            if titles is None:
                titles = self._titles()
            found = _one(titles.get(_key(row.initiative or ""), {}), errors, row)
            if found is not None:
                yield row, found

    def _titles(self) -> dict[str, dict[str, list[str]]]:
        """Initiative (title and id) -> milestone title -> milestone ids; a key names
        several when titles repeat."""
        index: dict[str, dict[str, list[str]]] = {}
        for initiative, milestones in self._catalogue():
            by_title: dict[str, list[str]] = {}
            for milestone in milestones:
                by_title.setdefault(_key(milestone.state.title), []).append(
                    milestone.state.milestone_id
                )
            for name in (_key(initiative.title), initiative.initiative_id):
                known = index.setdefault(name, {})
                for title, ids in by_title.items():
                    known.setdefault(title, []).extend(ids)
        return index

    def _catalogue(self) -> Iterator[tuple[Any, list[Loaded[ms.Milestone]]]]:
        """Every initiative with its milestones."""
        for programme in self.store.children(""):
            for stream in self.store.children(programme):
                initiative = self.tracker.load("initiative", stream.split("-", 1)[1]).state
                ids = [child.split("-", 1)[1] for child in self.store.children(stream)]
                loaded = self._load(ids)
                yield initiative, [found for i in ids if (found := loaded[i]) is not None]

    def _load(self, milestone_ids: Collection[str]) -> dict[str, Loaded[ms.Milestone] | None]:
        """The milestones as they are now (None: no such milestone), READ_CHUNK per trip."""
        found: dict[str, Loaded[ms.Milestone] | None] = {}
        ordered = list(milestone_ids)
        for start in range(0, len(ordered), READ_CHUNK):
            chunk = ordered[start : start + READ_CHUNK]
            reads = [self.tracker.current_milestone(milestone_id) for milestone_id in chunk]
            for milestone_id, read, reply in zip(
                chunk, reads, replies(self.store.redis, *reads), strict=True
            ):
                try:
                    found[milestone_id] = read.finish(reply)
                except NotFound:
                    found[milestone_id] = None
        return found

    def _decide(self, token: TokenRecord, groups: Groups, errors: list[RowError]) -> list[Part]:
        parts: list[Part] = []
        forbidden = False
        loaded = self._load(groups)
        for milestone_id, rows in groups.items():
            current = loaded[milestone_id]
            if current is None:
                errors += [
                    RowError(row.number, imports.MILESTONE_ID, "no milestone has this id")
                    for row in rows
                ]
                continue
            allowed, refused = _authorized(token, current.state, rows)
            forbidden = forbidden or bool(refused)
            decided = imports.decide_rows(current.state, allowed, DECISIONS)
            errors += refused + decided.errors
            parts.append(Part(current, rows, decided))
        if errors:
            raise ReportRefused(errors, forbidden=forbidden)
        return parts

    # --- appending -----------------------------------------------------------------

    def apply(
        self,
        token: TokenRecord,
        table: Table,
        *,
        idempotency: Idempotency | None = None,
        correlation_id: str | None = None,
    ) -> ReportOutcome:
        groups, errors = self._prepare(table)
        keys = _keys(idempotency, groups)
        moved = ""
        for attempt in range(RETRIES):
            done = dict(zip(keys, self.store.idempotent_replays(list(keys.values())), strict=True))
            earlier = {milestone_id: replay for milestone_id, replay in done.items() if replay}
            outcomes: dict[str, Appended] = {
                milestone_id: _appended(milestone_id, groups[milestone_id], replay)
                for milestone_id, replay in earlier.items()
            }
            waiting = {m: rows for m, rows in groups.items() if m not in earlier}
            if waiting or errors:
                try:
                    parts = self._decide(token, waiting, errors)
                except ReportRefused as refused:
                    # After a conflict, rows that held before fail on the new state.
                    refused.conflict = attempt > 0
                    raise
                try:
                    outcomes.update(self._append(token, parts, keys, correlation_id))
                except VersionConflict as conflict:
                    moved = conflict.stream.split("-", 1)[1]
                    continue  # nothing was written: look again
            return ReportOutcome(
                [outcomes[milestone_id] for milestone_id in groups], replayed=not waiting
            )
        problem = "the milestone kept changing while the report was appended; send it again"
        raise ReportRefused(
            [RowError(row.number, imports.MILESTONE_ID, problem) for row in groups[moved]],
            conflict=True,
        )

    def _append(
        self,
        token: TokenRecord,
        parts: list[Part],
        keys: dict[str, Idempotency],
        correlation_id: str | None,
    ) -> dict[str, Appended]:
        """All the parts appended in one atomic script, or VersionConflict and nothing."""
        events = sum(len(part.decided.events) for part in parts)
        if events > MAX_ALL_EVENTS:
            problem = (
                f"the report makes {events} events; at most {MAX_ALL_EVENTS} are appended at once"
            )
            raise ReportRefused([RowError(0, "", problem)])
        for part in parts:
            # A part whose rows change nothing (none can, today) would have no append.
            assert part.decided.events, "every report row appends an event"
        results = append_all(
            self.store,
            [(p.loaded.stream, p.decided.events, p.loaded.version) for p in parts],
            actor=_actor(token),
            correlation_id=correlation_id,
            idempotency={p.loaded.stream: keys[p.loaded.state.milestone_id] for p in parts if keys},
        )
        return {
            part.loaded.state.milestone_id: _appended(
                part.loaded.state.milestone_id, part.rows, result
            )
            for part, result in zip(parts, results, strict=True)
        }

    # --- uploads waiting for confirmation --------------------------------------------

    def hold(self, token: TokenRecord, data: bytes, media_type: str) -> str:
        """Keep an uploaded report for its uploader until it is confirmed (or for
        HELD_SECONDS): the confirmation then appends exactly the file that was checked,
        named by its SHA-256, without sending it again."""
        digest = hashlib.sha256(data).hexdigest()
        held = media_type + "\n" + base64.b64encode(data).decode()
        self.store.redis.set(self._held_key(token, digest), held, ex=HELD_SECONDS)
        return digest

    def held(self, token: TokenRecord, digest: str) -> tuple[bytes, str] | None:
        """The report this token uploaded with that digest, while it is kept."""
        raw = self.store.redis.get(self._held_key(token, digest))
        if raw is None:
            return None
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        media_type, _, encoded = text.partition("\n")
        return base64.b64decode(encoded), media_type

    def _held_key(self, token: TokenRecord, digest: str) -> str:
        return self.store.keys.admin(f"report-upload:{token.id}:{digest}")

    # --- the template --------------------------------------------------------------

    def open_milestones(self, agency: str) -> list[TemplateRow]:
        """The agency's milestones that are not final, for its report template."""
        return [
            TemplateRow(
                milestone_id=m.state.milestone_id,
                initiative=initiative.title,
                title=m.state.title,
                status=m.state.status,
                progress=m.state.progress,
                due_date=m.state.due_date,
            )
            for initiative, milestones in self._catalogue()
            for m in milestones
            if m.state.owner_agency == agency and m.state.status not in ms.FINAL
        ]


def _key(name: str) -> str:
    """A title as compared: case and runs of spaces do not matter."""
    return " ".join(name.split()).casefold()


def _one(milestones: dict[str, list[str]], errors: list[RowError], row: ReportRow) -> str | None:
    if not milestones:
        problem = f"no initiative is called {row.initiative!r}"
        errors.append(RowError(row.number, imports.INITIATIVE, problem))
        return None
    ids = milestones.get(_key(row.title or ""), [])
    if len(ids) == 1:
        return ids[0]
    problem = (
        f"initiative {row.initiative!r} has no milestone called {row.title!r}"
        if not ids
        else f"several milestones are called {row.title!r}; name it by milestone_id"
    )
    errors.append(RowError(row.number, imports.MILESTONE, problem))
    return None


def _authorized(
    token: TokenRecord, state: ms.Milestone, rows: list[ReportRow]
) -> tuple[list[ReportRow], list[RowError]]:
    allowed, refused = [], []
    for row in rows:
        try:
            policy.authorize(token, MILESTONE_COMMANDS[row.verb][1], state.owner_agency)
        except Forbidden as error:
            refused.append(RowError(row.number, imports.MILESTONE_ID, str(error)))
            continue
        allowed.append(row)
    return allowed, refused


def _keys(idempotency: Idempotency | None, groups: Groups) -> dict[str, Idempotency]:
    """Each milestone's Idempotency-Key: the first takes the report's key itself."""
    if idempotency is None:
        return {}
    keys = {}
    for index, milestone_id in enumerate(groups):
        key = idempotency.key if index == 0 else f"{idempotency.key}/{milestone_id}"
        keys[milestone_id] = Idempotency(idempotency.scope, key, idempotency.fingerprint)
    return keys


def _appended(milestone_id: str, rows: list[ReportRow], outcome: AppendResult | Replay) -> Appended:
    if isinstance(outcome, AppendResult):
        if outcome.replay is not None:
            outcome = outcome.replay
        else:
            first, last = outcome.events[0].version, outcome.events[-1].version
            return Appended(milestone_id, [row.number for row in rows], first, last)
    return Appended(
        milestone_id, [row.number for row in rows], outcome.first_version, outcome.last_version
    )
