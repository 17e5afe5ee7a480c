"""`reform-tracker witness`: run a witness that cosigns a log's checkpoints.

One command, on any machine (another institution's, ideally): the witness key is
created in its data folder on first start (mode 0600), and its verifier key is printed
with `--show-key` for the log's operator to configure (RT_WITNESSES). The alarm about a
forked log goes by webhook (`--alarm-url`), by e-mail (`--alarm-email`, with SMTP settings
of the witness's own; the password from RT_WITNESS_SMTP_PASSWORD, never the command line,
which any user of the machine can read), or both.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path
from types import FrameType

from werkzeug.serving import make_server

from service.alerts.mailer import Smtp
from service.cli.base import CliError
from service.ledger.domain.cosignature import Cosigner
from service.ledger.domain.note import NoteError, Verifier
from service.runtime.clock import SystemClock
from service.runtime.secretbox import create_private_file
from service.witness.http import create_witness_app
from service.witness.service import Alarm, Witness
from service.witness.store import WitnessStore

log = logging.getLogger("reform_tracker.witness")
KEY_FILE = "witness.key"


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", default="./witness", help="folder for its key and state")
    parser.add_argument(
        "--log-key",
        action="append",
        default=[],
        help="verifier key (or a file holding it) of a log to witness; repeat for more",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--name", help="the witness's key name (default: <host>:<port>/witness)")
    parser.add_argument("--alarm-url", help="Standard Webhooks URL told of a forked log")
    parser.add_argument("--alarm-secret", help="its signing secret (whsec_...)")
    parser.add_argument(
        "--alarm-email",
        action="append",
        default=[],
        help="an address e-mailed of a forked log; repeat for more",
    )
    default = Smtp()
    parser.add_argument("--smtp-host", default=default.host, help="SMTP server for the alarm")
    parser.add_argument("--smtp-port", type=int, default=default.port)
    parser.add_argument("--smtp-tls", action="store_true", help="STARTTLS")
    parser.add_argument("--smtp-user", default="", help="login (RT_WITNESS_SMTP_PASSWORD)")
    parser.add_argument("--smtp-from", default="witness@localhost", help="sender address")
    parser.add_argument("--show-key", action="store_true", help="print the verifier key, exit")


def cosigner_in(data_dir: Path, name: str) -> Cosigner:
    """The witness key in ``data_dir``, created (mode 0600) on first start."""
    path = data_dir / KEY_FILE
    if path.exists():
        return Cosigner.from_private_key(path.read_text())
    cosigner = Cosigner.generate(name)
    if not create_private_file(path, cosigner.private_key() + "\n"):
        return Cosigner.from_private_key(path.read_text())  # another start won the race
    return cosigner


def log_keys(values: list[str]) -> dict[str, Verifier]:
    keys = {}
    for value in values:
        text = Path(value).read_text().strip() if Path(value).is_file() else value
        verifier = Verifier.from_vkey(text)
        keys[verifier.name] = verifier
    return keys


def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    try:
        cosigner = cosigner_in(data_dir, args.name or f"{args.host}:{args.port}/witness")
        logs = log_keys(args.log_key)
    except (NoteError, OSError) as error:
        raise CliError(str(error)) from None
    if args.show_key:
        print(cosigner.verifier_key())
        return 0
    if not logs:
        raise CliError("name at least one log to witness with --log-key <verifier key>")
    if bool(args.alarm_url) != bool(args.alarm_secret):
        raise CliError("--alarm-url and --alarm-secret go together")
    alarm = None
    if args.alarm_url or args.alarm_email:
        smtp = Smtp(
            args.smtp_host,
            args.smtp_port,
            args.smtp_tls,
            args.smtp_user,
            os.environ.get("RT_WITNESS_SMTP_PASSWORD", ""),
            args.smtp_from,
        )
        alarm = Alarm(
            args.alarm_url, args.alarm_secret or "", email_to=tuple(args.alarm_email), smtp=smtp
        )
    witness = Witness(
        WitnessStore(data_dir / "witness.sqlite3"), cosigner, logs, SystemClock(), alarm
    )
    server = make_server(args.host, args.port, create_witness_app(witness), threaded=True)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info(
        "witness serving",
        extra={
            "url": f"http://{args.host}:{server.server_port}",
            "verifier_key": cosigner.verifier_key(),
            "logs": sorted(logs),
        },
    )
    server.serve_forever()
    log.info("witness stopped")
    return 0
