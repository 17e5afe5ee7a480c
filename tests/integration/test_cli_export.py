"""`reform-tracker export`, `verify --file` (offline) and `import` through the CLI, and
`export` and `rebuild` refusing a log that does not verify unless forced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.cli import main
from service.dashboards.readmodels import generations_key
from service.ledger.domain.chain import Actor
from service.ledger.eventstore import EventStore
from service.tracking.domain import events as ev


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def export_file(
    store: EventStore,
    system_actor: Actor,
    redis_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Path:
    store.append(
        "programme-1",
        [ev.ProgrammeCreated("1", "Army reform 2026", "", "PGO")],
        expected_version=0,
        actor=system_actor,
        parent="",
    )
    store.append(
        "milestone-1",
        [ev.MilestoneStarted("go"), ev.ProgressReported(40, "half")],
        expected_version=None,
        actor=system_actor,
    )
    path = tmp_path / "log.jsonl"
    code, _, err = run(capsys, "export", "--redis-url", redis_url, "--output", str(path))
    assert code == 0 and "exported 3 events" in err
    return path


def test_export_verifies_offline(export_file: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("RT_REDIS_URL", "redis://127.0.0.1:1/0")  # proves Redis is not used
    code, out, _ = run(capsys, "verify", "--file", str(export_file), "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["events_checked"] == 3


def test_an_edited_export_fails_offline_verification(export_file: Path, capsys) -> None:
    edit_third_event(export_file)
    code, out, _ = run(capsys, "verify", "--file", str(export_file))
    assert code == 1 and "BREACH at position 3" in out


def test_a_truncated_export_fails_against_the_published_head(export_file: Path, capsys) -> None:
    code, out, _ = run(capsys, "verify", "--file", str(export_file), "--json")
    head = json.loads(out)["head_hash"]
    export_file.write_text("".join(export_file.read_text().splitlines(keepends=True)[:2]))
    code, out, _ = run(capsys, "verify", "--file", str(export_file), "--head-hash", head)
    assert code == 1 and "MISMATCH" in out
    assert "OK" not in out  # an intact chain that ends early is not reported as fine


def test_json_with_a_head_hash_is_json_alone(export_file: Path, capsys) -> None:
    code, out, _ = run(capsys, "verify", "--file", str(export_file), "--json")
    head = json.loads(out)["head_hash"]
    export_file.write_text("".join(export_file.read_text().splitlines(keepends=True)[:2]))
    code, out, _ = run(capsys, "verify", "--file", str(export_file), "--head-hash", head, "--json")
    report = json.loads(out)  # nothing but the JSON document on stdout
    assert code == 1 and report["ok"] is True and report["matches_head_hash"] is False


def test_json_without_a_head_hash_does_not_claim_a_match(export_file: Path, capsys) -> None:
    code, out, _ = run(capsys, "verify", "--file", str(export_file), "--json")
    assert code == 0 and json.loads(out)["matches_head_hash"] is None


def edit_third_event(export_file: Path) -> None:
    lines = export_file.read_text().splitlines()
    event = json.loads(lines[2])
    event["payload"]["percent"] = 95
    lines[2] = json.dumps(event)
    export_file.write_text("\n".join(lines) + "\n")


def test_a_broken_export_never_matches_the_head_hash(export_file: Path, capsys) -> None:
    code, out, _ = run(capsys, "verify", "--file", str(export_file), "--json")
    head = json.loads(out)["head_hash"]
    edit_third_event(export_file)
    code, out, _ = run(capsys, "verify", "--file", str(export_file), "--head-hash", head, "--json")
    report = json.loads(out)
    assert code == 1 and report["first_bad_position"] == 3
    assert report["matches_head_hash"] is False


def test_importing_a_broken_export_says_where_in_a_sentence(
    export_file: Path, capsys, redis_url, redis_client
) -> None:
    edit_third_event(export_file)
    redis_client.flushall()
    code, _, err = run(capsys, "import", "--redis-url", redis_url, str(export_file))
    assert code == 1
    assert "first bad event is at position 3 in stream milestone-1" in err, err
    assert "{" not in err, err


def test_import_into_an_empty_store(
    export_file: Path, capsys, redis_url, redis_client, store: EventStore
) -> None:
    before = list(store.iter_log())
    redis_client.flushall()
    code, out, _ = run(capsys, "import", "--redis-url", redis_url, str(export_file))
    assert code == 0 and "imported 3 events" in out
    assert list(store.iter_log()) == before and store.verify().ok
    code, _, err = run(capsys, "import", "--redis-url", redis_url, str(export_file))
    assert code == 1 and "empty" in err


def test_missing_file_is_a_clear_message(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "verify", "--file", str(tmp_path / "nope.jsonl"))
    assert code == 2 and "no such export file" in err


@pytest.fixture
def broken_log(export_file: Path, store: EventStore, redis_client) -> EventStore:
    """The three events of ``export_file``, with the second deleted from the log."""
    assert redis_client.xdel(store.keys.log, "2-0") == 1
    return store


def test_export_refuses_a_broken_log_naming_the_first_bad_position(
    broken_log: EventStore, redis_url: str, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "refused.jsonl"
    code, out, err = run(capsys, "export", "--redis-url", redis_url, "--output", str(path))
    assert code == 1 and "first bad event is at position 2" in err, err
    assert not path.exists() and not list(tmp_path.glob("refused*"))


def test_a_forced_export_says_what_it_skipped(
    broken_log: EventStore, redis_url: str, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "forced.jsonl"
    code, _, err = run(capsys, "export", "--redis-url", redis_url, "--output", str(path), "--force")
    assert code == 0 and "forced past" in err and "position 2" in err, err
    assert "skipped missing positions 2;" in err, err
    assert [json.loads(line)["position"] for line in path.read_text().splitlines()] == [1, 3]


def test_rebuild_refuses_a_broken_log_and_switches_nothing(
    broken_log: EventStore, redis_url: str, redis_client, capsys
) -> None:
    before = redis_client.hgetall(generations_key(broken_log.keys))
    code, out, err = run(capsys, "rebuild", "--redis-url", redis_url)
    assert code == 1 and "first bad event is at position 2" in err, err
    assert "is live" not in out
    assert redis_client.hgetall(generations_key(broken_log.keys)) == before


def test_a_forced_rebuild_switches_and_says_so(
    store: EventStore, system_actor: Actor, redis_url: str, redis_client, capsys
) -> None:
    store.append(
        "programme-1",
        [ev.ProgrammeCreated("1", "Army reform 2026", "", "PGO")],
        expected_version=0,
        actor=system_actor,
        parent="",
    )
    store.sealer.seal_all()
    redis_client.hset(store.keys.seals, "1", "f" * 64)  # the event intact, its seal forged
    before = redis_client.hgetall(generations_key(store.keys))
    code, out, err = run(capsys, "rebuild", "--redis-url", redis_url, "--force")
    assert code == 0 and "is live" in out, err
    assert "forced past a log that does not verify: position 1" in out, out
    assert redis_client.hgetall(generations_key(store.keys)) != before


def test_a_forced_rebuild_over_a_missing_event_stops_with_a_sentence(
    broken_log: EventStore, redis_url: str, capsys
) -> None:
    code, _, err = run(capsys, "rebuild", "--redis-url", redis_url, "--force")
    assert code == 1 and "expected version 1, got 2 (log position 3)" in err, err
