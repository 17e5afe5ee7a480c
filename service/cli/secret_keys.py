"""`reform-tracker secrets reseal|new-key`: the operator's side of sealed webhook secrets.

`reseal` is the one-off step after an upgrade (secrets stored in the clear by an earlier
version get sealed) and the second step of a key rotation (secrets sealed with an older
key get sealed with the newest); `up` runs it at every start. It then asks Redis to
rewrite its AOF, which still holds the values written before.
"""

from __future__ import annotations

import argparse

from service.cli.base import CliError, add_connection_options, open_services
from service.runtime.secretbox import SecretsKeyError, new_key


def arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    reseal_parser = actions.add_parser(
        "reseal", help="seal secrets stored in the clear, and reseal all with the newest key"
    )
    add_connection_options(reseal_parser)
    reseal_parser.set_defaults(run=reseal)
    key_parser = actions.add_parser("new-key", help="print a new Fernet key")
    key_parser.set_defaults(run=print_new_key)


def reseal(args: argparse.Namespace) -> int:
    services = open_services(args)
    try:
        changed, rewriting = services.alerts.reseal_secrets()
    except SecretsKeyError as error:
        raise CliError(str(error)) from None
    print(f"Resealed {changed} webhook subscription(s) with the newest key.")
    if rewriting:
        print("Redis is rewriting its AOF, so the values written before leave it too.")
    elif changed:
        print("Redis did not start an AOF rewrite; run BGREWRITEAOF once it can.")
    return 0


def print_new_key(_args: argparse.Namespace) -> int:
    print(new_key())
    return 0
