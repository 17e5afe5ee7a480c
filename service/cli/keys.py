"""`reform-tracker keys create|show`: the log's checkpoint signing key.

The private key file (mode 0600) stays on the machine that signs; the verifier key
printed here is what auditors and witnesses pin to check checkpoints.
"""

from __future__ import annotations

import argparse
import logging

from service.cli.base import CliError, cli_config
from service.ledger.domain.note import NoteError
from service.ledger.signing import KeyExists, create_key, ensure_key, load_key
from service.runtime.config import Config

log = logging.getLogger("reform_tracker.keys")


def arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create_parser = actions.add_parser(
        "create", help="write a new key pair (refused if the key file exists)"
    )
    create_parser.set_defaults(run=create)
    show_parser = actions.add_parser("show", help="print the verifier key")
    show_parser.set_defaults(run=show)
    for sub in (create_parser, show_parser):
        sub.add_argument("--data-dir", help="data folder (default RT_DATA_DIR or ./data)")


def create(args: argparse.Namespace) -> int:
    config = cli_config(args)
    try:
        signer = create_key(config.signing_key_path, config.origin)
    except KeyExists as error:
        raise CliError(str(error), exit_code=1) from None
    print(f"Wrote the signing key to {config.signing_key_path} (keep it private).")
    print("Verifier key (publish it; auditors and witnesses pin it):")
    print(signer.verifier_key())
    return 0


def show(args: argparse.Namespace) -> int:
    config = cli_config(args)
    try:
        signer = load_key(config.signing_key_path)
    except NoteError as error:
        raise CliError(f"{config.signing_key_path}: {error}") from None
    if signer is None:
        raise CliError(f"no signing key at {config.signing_key_path}: run `keys create`")
    print(signer.verifier_key())
    return 0


def ensure(config: Config) -> None:
    """The key `up` signs with: created in the data folder on first start."""
    try:
        signer, created = ensure_key(config.signing_key_path, config.origin)
    except NoteError as error:
        raise CliError(f"{config.signing_key_path}: {error}") from None
    if created:
        log.info(
            "created the checkpoint signing key",
            extra={"key_file": config.signing_key_path, "verifier_key": signer.verifier_key()},
        )
