"""`reform-tracker witness` as a process, started with the one documented command: its
key appears in its own data folder, it answers add-checkpoint over HTTP, and it stops
cleanly on SIGTERM."""

from __future__ import annotations

import base64
import os
import signal
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from service.ledger.domain import merkle
from service.ledger.domain.checkpoint import Checkpoint
from service.ledger.domain.cosignature import CosignatureVerifier
from service.ledger.domain.note import Signer, parse
from service.runtime.redis_server import free_port
from tests.e2e.running_up import CLI, environment
from tests.integration.smtp_inbox import Inbox


def test_a_witness_runs_with_one_command(tmp_path: Path) -> None:
    log_key = Signer.generate("tracker.example/log")
    data_dir, port = tmp_path / "witness", free_port()
    command = [CLI, "witness", "--data-dir", str(data_dir), "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--log-key", log_key.verifier_key()],
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline, vkey = time.monotonic() + 60, ""
        while not vkey:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/verifier-key") as answer:
                    vkey = answer.read().decode().strip()
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert stat.S_IMODE(os.stat(data_dir / "witness.key").st_mode) == 0o600
        shown = subprocess.run(
            [*command, "--show-key"], env=environment(), capture_output=True, text=True, check=True
        )
        assert shown.stdout.strip() == vkey

        root = merkle.root(1, lambda level, index: merkle.leaf_hash(b"first"))
        note = str(log_key.sign(Checkpoint(log_key.name, 1, root).text()))
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/add-checkpoint",
            data=("old 0\n\n" + note).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request) as answer:
            cosignature = answer.read().decode()
        verifier = CosignatureVerifier.from_vkey(vkey)
        assert verifier.timestamp(parse(note + cosignature)) is not None
        try:
            urllib.request.urlopen(request)
            raise AssertionError("a second submission from size 0 must be refused")
        except urllib.error.HTTPError as error:
            assert error.code == 409 and error.read() == b"1\n"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, process.stderr.read() if process.stderr else ""


def test_a_witness_process_e_mails_its_alarm_about_a_forked_log(tmp_path: Path) -> None:
    log_key = Signer.generate("tracker.example/log")
    port = free_port()

    def submit(body: str) -> tuple[int, str]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/add-checkpoint", data=body.encode(), method="POST"
        )
        try:
            with urllib.request.urlopen(request) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def note(*leaves: bytes) -> str:
        root = merkle.root(len(leaves), lambda level, index: merkle.leaf_hash(leaves[index]))
        return str(log_key.sign(Checkpoint(log_key.name, len(leaves), root).text()))

    with Inbox() as inbox:
        process = subprocess.Popen(
            [
                CLI,
                "witness",
                "--data-dir",
                str(tmp_path / "witness"),
                "--port",
                str(port),
                "--log-key",
                log_key.verifier_key(),
                "--alarm-email",
                "ombudsman@example.org",
                "--smtp-port",
                str(inbox.port),
                "--smtp-from",
                "witness@ombudsman.example",
            ],  # fmt: skip
            env={**environment(), "RT_WITNESS_SMTP_PASSWORD": ""},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    status, _ = submit("old 0\n\n" + note(b"first"))
                    break
                except OSError:
                    assert process.poll() is None and time.monotonic() < deadline
                    time.sleep(0.1)
            assert status == 200
            # A history of two events whose first is not the one the witness cosigned.
            forged = note(b"rewritten", b"second")
            proof = base64.b64encode(merkle.leaf_hash(b"second")).decode()
            status, answer = submit(f"old 1\n{proof}\n\n{forged}")
            assert status == 422, answer
            [message] = inbox.wait_for(1)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0, process.stderr.read() if process.stderr else ""

    assert message["To"] == "ombudsman@example.org"
    assert message["From"] == "witness@ombudsman.example" and message["Date"] is not None
    assert "tracker.example/log showed a forked history" in message["Subject"]
    body = message.get_content()
    assert "not consistent" in body and forged.splitlines()[0] in body
