"""`reform-tracker token create|list|revoke`: the way to the first admin token."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from service.access.policy import ROLES, LastAdminToken
from service.cli.base import CliError, add_connection_options, open_services


def arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create_parser = actions.add_parser("create", help="create a token and print it once")
    create_parser.add_argument("--role", required=True, choices=ROLES)
    create_parser.add_argument("--agency", help="agency the token acts for (reporters need one)")
    create_parser.add_argument("--label", default="", help="who or what holds the token")
    create_parser.set_defaults(run=create)
    list_parser = actions.add_parser("list", help="list tokens (never their secrets)")
    list_parser.set_defaults(run=list_tokens)
    revoke_parser = actions.add_parser("revoke", help="revoke a token by its id")
    revoke_parser.add_argument("id")
    revoke_parser.add_argument(
        "--force",
        action="store_true",
        help="revoke it even if it is the last admin token (recover with token create)",
    )
    revoke_parser.set_defaults(run=revoke)
    for sub in (create_parser, list_parser, revoke_parser):
        add_connection_options(sub)
        sub.add_argument("--json", action="store_true", help="machine-readable output")


def create(args: argparse.Namespace) -> int:
    services = open_services(args)
    try:
        token, record = services.tokens.create(args.role, args.agency, args.label)
    except ValueError as error:
        raise CliError(str(error)) from None
    if args.json:
        print(json.dumps({**asdict(record), "token": token}))
        return 0
    scope = f" for {record.agency}" if record.agency else ""
    print(f"Created {record.role} token {record.id}{scope}.")
    print("Only its SHA-256 is stored: copy the token now, it is not shown again.")
    print(token)
    return 0


def list_tokens(args: argparse.Namespace) -> int:
    records = open_services(args).tokens.list()
    if args.json:
        print(json.dumps([asdict(record) for record in records]))
        return 0
    if not records:
        print("No tokens. Create one with: reform-tracker token create --role admin")
    for record in records:
        print(
            f"{record.id}  {record.role:<8}  {record.agency or '-':<30}  "
            f"{record.created_at}  {record.label}"
        )
    return 0


def revoke(args: argparse.Namespace) -> int:
    try:
        revoked = open_services(args).tokens.revoke(args.id, keep_an_admin=not args.force)
    except LastAdminToken as error:
        raise CliError(f"{error.message} (or pass --force)", exit_code=1) from None
    if args.json:
        print(json.dumps({"id": args.id, "revoked": revoked}))
    if not revoked:
        raise CliError(f"no token with id {args.id}", exit_code=1)
    if not args.json:
        print(f"Revoked token {args.id}.")
    return 0
