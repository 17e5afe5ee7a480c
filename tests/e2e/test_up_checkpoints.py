"""Under `reform-tracker up`, with no extra step: the signing key is created in the data
folder on first start, and a signed checkpoint covers the first events within seconds."""

from __future__ import annotations

import os
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from service.ledger.domain.checkpoint import parse_checkpoint
from service.ledger.domain.note import Verifier, open_note
from tests.e2e.running_up import CLI, create_admin_token, created, environment, start_up


def test_up_signs_checkpoints_out_of_the_box(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    up = start_up(data_dir, tmp_path)
    try:
        up.announced()
        key_file = data_dir / "log-signing.key"
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        shown = subprocess.run(
            [CLI, "keys", "show", "--data-dir", str(data_dir)],
            env=environment(),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        admin = create_admin_token(data_dir)
        created(
            up,
            "/programmes",
            admin,
            {
                "title": "Army reform 2026",
                "description": "",
                "lead_agency": "PGO",
            },
        )
        deadline = time.monotonic() + 60
        while True:
            request = urllib.request.Request(
                up.base + "/checkpoint", headers={"Authorization": f"Bearer {admin}"}
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    note = answer.read().decode()
                break
            except urllib.error.HTTPError as error:
                assert error.code == 404 and time.monotonic() < deadline, up.logs()
                time.sleep(0.2)
        checkpoint = parse_checkpoint(open_note(note, [Verifier.from_vkey(shown)]).text)
        assert checkpoint.size == 1 and checkpoint.origin == Verifier.from_vkey(shown).name
        assert "PRIVATE" not in up.logs()  # the private key never reaches a log line
    finally:
        assert up.stop() == 0, up.logs()
