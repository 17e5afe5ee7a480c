"""`reform-tracker keys`: a private key file only its owner reads, never overwritten, and
the verifier key printed for auditors and witnesses to pin."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from service.cli import main
from service.ledger.domain.note import Verifier


def test_create_then_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert main(["keys", "show", "--data-dir", data]) == 2  # none yet
    assert "keys create" in capsys.readouterr().err
    assert main(["keys", "create", "--data-dir", data]) == 0
    created = capsys.readouterr().out.strip().splitlines()[-1]
    key_file = tmp_path / "data" / "log-signing.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert created not in key_file.read_text()  # the file holds the private key, not this
    assert main(["keys", "show", "--data-dir", data]) == 0
    assert capsys.readouterr().out.strip() == created
    assert Verifier.from_vkey(created).name == "127.0.0.1:8080/log"

    assert main(["keys", "create", "--data-dir", data]) == 1  # never overwritten
    assert "exists already" in capsys.readouterr().err
    assert main(["keys", "show", "--data-dir", data]) == 0
    assert capsys.readouterr().out.strip() == created
