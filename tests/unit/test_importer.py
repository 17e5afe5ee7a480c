"""The Importer on fakeredis: a report whose reply was lost, retried with the same
Idempotency-Key, appends every row once; a milestone moved on by another writer between
the check and the append gets its rows decided again on its new state, and the report is
appended whole or refused with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import redis

from service.bootstrap import Services
from service.ledger.eventstore import Idempotency
from service.tracking import imports as importer_module
from service.tracking.imports import ReportRefused
from service.tracking.spreadsheets import Table
from service.tracking.tracker import RETRIES
from tests.alerting import Tracked

DUE = date(2026, 12, 31)


class Report(Tracked):
    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.ids = [self.milestone(DUE, f"Milestone {n}") for n in range(3)]

    def table(self, *rows: tuple[int, str, dict[str, Any]]) -> Table:
        return Table(
            header=["milestone_id", "command", "percent", "note"],
            records=[
                (2 + n, {"milestone_id": self.ids[which], "command": command, **values})
                for n, (which, command, values) in enumerate(rows)
            ],
        )

    def versions(self) -> list[int]:
        return [self.services.store.stream_version(f"milestone-{i}") for i in self.ids]


@pytest.fixture
def report(services: Services) -> Report:
    return Report(services)


def test_a_report_whose_reply_was_lost_is_appended_once_by_its_retry(
    report: Report, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = report.table(
        (0, "start", {}), (1, "start", {}), (2, "start", {}), (0, "progress", {"percent": 10})
    )
    key = Idempotency(report.reporter.id, "cut-off", "fingerprint")
    real_append_all = importer_module.append_all

    def not_sent(*args: Any, **kwargs: Any) -> Any:
        raise redis.ConnectionError("connection lost before sending")

    monkeypatch.setattr(importer_module, "append_all", not_sent)
    with pytest.raises(redis.ConnectionError):
        services.imports.apply(report.reporter, table, idempotency=key)
    assert report.versions() == [1, 1, 1]

    def reply_lost(*args: Any, **kwargs: Any) -> Any:
        real_append_all(*args, **kwargs)
        raise redis.ConnectionError("connection lost before the reply")

    monkeypatch.setattr(importer_module, "append_all", reply_lost)
    with pytest.raises(redis.ConnectionError):
        services.imports.apply(report.reporter, table, idempotency=key)
    assert report.versions() == [3, 2, 2], "the whole report was appended"

    monkeypatch.setattr(importer_module, "append_all", real_append_all)
    again = services.imports.apply(report.reporter, table, idempotency=key)
    assert again.replayed
    assert report.versions() == [3, 2, 2]
    assert [(m.rows, m.first_version, m.last_version) for m in again.milestones] == [
        ([2, 5], 2, 3),
        ([3], 2, 2),
        ([4], 2, 2),
    ]


def before_each_append(monkeypatch: pytest.MonkeyPatch, other_writer: Callable[[], None]) -> None:
    """Let ``other_writer`` write right before each of the Importer's atomic appends."""
    real_append_all = importer_module.append_all

    def other_writer_first(*args: Any, **kwargs: Any) -> Any:
        other_writer()
        return real_append_all(*args, **kwargs)

    monkeypatch.setattr(importer_module, "append_all", other_writer_first)


@pytest.fixture
def started(report: Report) -> Report:
    for milestone_id in report.ids:
        report.command(milestone_id, "start")
    return report


def test_a_milestone_moved_on_meanwhile_is_decided_again(
    started: Report, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = started
    calls: list[int] = []

    def once() -> None:  # the report's second attempt finds the milestone still
        if not calls:
            report.command(report.ids[0], "comment", text="posted by another hand meanwhile")
        calls.append(1)

    before_each_append(monkeypatch, once)
    table = report.table((0, "progress", {"percent": 50}), (1, "progress", {"percent": 60}))
    outcome = services.imports.apply(report.reporter, table)
    assert len(calls) == 2, "the first attempt wrote nothing and the report was decided again"
    assert [(m.first_version, m.last_version) for m in outcome.milestones] == [(4, 4), (3, 3)]
    assert services.tracker.load("milestone", report.ids[0]).state.progress == 50

    monkeypatch.undo()
    before_each_append(monkeypatch, lambda: report.command(report.ids[2], "report-complete"))
    table = report.table((1, "progress", {"percent": 70}), (2, "progress", {"percent": 80}))
    versions, position = report.versions(), services.store.head_position()
    with pytest.raises(ReportRefused) as refused:
        services.imports.apply(report.reporter, table)
    assert refused.value.conflict
    assert [(e.row, e.column) for e in refused.value.errors] == [(3, "command")]
    # Only the other writer's event was written: milestone 1's row, which held, was not.
    assert report.versions() == [versions[0], versions[1], versions[2] + 1]
    assert services.store.head_position() == position + 1
    assert services.tracker.load("milestone", report.ids[1]).state.progress == 60
    assert services.tracker.load("milestone", report.ids[2]).state.status == "reported_complete"
    assert services.store.verify().ok


def test_a_milestone_moved_on_before_every_attempt_refuses_the_report_whole(
    started: Report, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = started
    before_each_append(
        monkeypatch, lambda: report.command(report.ids[1], "comment", text="yet another comment")
    )
    table = report.table((0, "progress", {"percent": 50}), (1, "progress", {"percent": 60}))
    with pytest.raises(ReportRefused) as refused:
        services.imports.apply(report.reporter, table)
    assert refused.value.conflict
    assert [(e.row, e.column) for e in refused.value.errors] == [(3, "milestone_id")]
    assert report.versions() == [2, 2 + RETRIES, 2], "only the other writer's comments"


def test_a_report_over_the_size_of_one_script_is_refused_before_writing(
    report: Report, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer_module, "MAX_ALL_EVENTS", 2)
    table = report.table((0, "start", {}), (1, "start", {}), (2, "start", {}))
    with pytest.raises(ReportRefused) as refused:
        services.imports.apply(report.reporter, table)
    assert not refused.value.conflict
    assert [(e.row, e.problem) for e in refused.value.errors] == [
        (0, "the report makes 3 events; at most 2 are appended at once")
    ]
    assert report.versions() == [1, 1, 1]


def test_uploads_wait_for_confirmation_for_their_uploader_only(
    report: Report, services: Services
) -> None:
    other = services.tokens.create("reporter", report.reporter.agency, "other")[1]
    digest = services.imports.hold(report.reporter, b"\x00\xffbinary", "text/csv")
    assert services.imports.held(report.reporter, digest) == (b"\x00\xffbinary", "text/csv")
    assert services.imports.held(other, digest) is None
    assert services.imports.held(report.reporter, "0" * 64) is None


def test_a_twin_upload_racing_with_the_same_key_appends_once(
    report: Report, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = report.table((0, "start", {}), (1, "start", {}), (0, "progress", {"percent": 5}))
    key = Idempotency(report.reporter.id, "double-click", "fingerprint")
    real_append_all = importer_module.append_all
    twin: list[Any] = []

    def twin_first(*args: Any, **kwargs: Any) -> Any:
        if not twin:  # the twin was checked too, and appends first
            twin.append(real_append_all(*args, **kwargs))
        return real_append_all(*args, **kwargs)

    monkeypatch.setattr(importer_module, "append_all", twin_first)
    outcome = services.imports.apply(report.reporter, table, idempotency=key)
    assert report.versions() == [3, 2, 1]
    assert [(m.first_version, m.last_version) for m in outcome.milestones] == [(2, 3), (2, 2)]
    assert services.store.verify().ok
