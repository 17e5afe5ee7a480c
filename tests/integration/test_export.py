"""An export verifies offline; any edit, deletion, swap or truncation of it is caught."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from service.ledger.eventstore import EventStore
from service.ledger.exporting import BadExport, export, import_log, read_export, verify_file
from tests.conftest import bearer
from tests.integration.api_helpers import post, seed


@pytest.fixture
def exported(client, tokens, store: EventStore, tmp_path: Path) -> Path:
    s = seed(client, tokens)
    for verb, body in [
        ("start", {}),
        ("report-progress", {"percent": 30}),
        ("comment", {"text": "Körperkameras — ok"}),
    ]:
        assert (
            post(
                client, tokens["reporter_a"], f"/milestones/{s.milestone_id}/{verb}", body
            ).status_code
            == 200
        )
    buffer = io.StringIO()
    assert export(store, buffer).count == 6
    path = tmp_path / "export.jsonl"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _rewrite(path: Path, change) -> Path:
    lines = path.read_text(encoding="utf-8").splitlines()
    out = path.with_name("changed.jsonl")
    out.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")
    return out


def _edit_payload(lines: list[str]) -> list[str]:
    event = json.loads(lines[4])  # position 5: ProgressReported 30 %
    assert event["payload"]["percent"] == 30
    event["payload"]["percent"] = 90
    return [*lines[:4], json.dumps(event), *lines[5:]]


@pytest.mark.parametrize(
    ("change", "first_bad"),
    [
        (_edit_payload, 5),
        (lambda lines: [*lines[:2], *lines[3:]], 3),
        (lambda lines: [*lines[:2], lines[3], lines[2], *lines[4:]], 3),
    ],
)
def test_tampered_export_is_pinpointed(exported: Path, change, first_bad: int) -> None:
    assert verify_file(exported).ok
    report = verify_file(_rewrite(exported, change))
    assert not report.ok
    assert report.breach is not None and report.breach.position == first_bad


def test_truncated_export_is_caught_against_a_published_head(exported: Path) -> None:
    full = verify_file(exported)
    cut = verify_file(_rewrite(exported, lambda lines: lines[:-2]))
    # A truncated export is internally consistent; the published head hash exposes it.
    assert cut.ok and cut.head_position == 4 and cut.head_hash != full.head_hash


def test_import_restores_an_identical_verifiable_log(
    exported: Path, redis_client, clock, services
) -> None:
    original = list(read_export(exported))
    redis_client.flushall()
    assert import_log(services.store, original) == 6
    assert services.store.verify().ok
    assert list(services.store.iter_log()) == original
    assert services.store.children("") == [original[0].stream]
    with pytest.raises(BadExport):
        import_log(services.store, original)


def test_import_refuses_a_tampered_export(exported: Path, services, redis_client) -> None:
    redis_client.flushall()
    with pytest.raises(BadExport):
        import_log(services.store, read_export(_rewrite(exported, _edit_payload)))
    assert services.store.head_position() == 0


def test_api_reads_the_imported_records(
    exported: Path, client, tokens, services, redis_client
) -> None:
    original = list(read_export(exported))
    redis_client.flushall()
    import_log(services.store, original)
    token = services.tokens.create("viewer", None)[0]
    programmes = client.get("/programmes", headers=bearer(token)).json
    assert programmes[0]["title"] == "Army reform 2026"
