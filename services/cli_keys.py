"""``journey keys create|list|revoke``: API keys on the configured store (also the embedded
SQLite default). ``create`` prints the key alone on its last line, so scripts can read it."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from domain.access import Role
from services.credentials import key_row
from services.settings import get_settings


def _with_credentials(work: Callable[[Any], None]) -> None:
    from services.bootstrap import bootstrap  # noqa: PLC0415 -- wires the store only when a command runs

    journey = bootstrap(get_settings())
    try:
        work(journey.credentials)
    finally:
        journey.close()


def create(args: argparse.Namespace) -> None:
    def work(credentials: Any) -> None:
        try:
            key, stored = credentials.create(Role(args.role), args.name, args.source or ())
        except ValueError as error:
            raise SystemExit(f"no key created: {error}") from None
        sources = f" for sources {', '.join(stored.sources)}" if stored.sources else ""
        print(f"created key {stored.key_id} ({stored.name}, role {stored.role}{sources}); it is shown only now:")
        print(key)

    _with_credentials(work)


def list_keys(args: argparse.Namespace) -> None:
    def work(credentials: Any) -> None:
        rows = [key_row(k) for k in credentials.keys()]
        if not rows:
            print("no keys yet: create one with `journey keys create --role admin`")
        for row in rows:
            state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
            sources = f" sources={','.join(row['sources'])}" if row["sources"] else ""
            print(f"{row['key_id']}  {row['role']:10}  {row['name']}  created {row['created_at']}  {state}{sources}")

    _with_credentials(work)


def revoke(args: argparse.Namespace) -> None:
    def work(credentials: Any) -> None:
        if not credentials.revoke(args.key_id):
            raise SystemExit(f"no key {args.key_id}")
        print(f"revoked {args.key_id}")

    _with_credentials(work)


def add_parsers(commands: Any) -> None:
    """Register ``keys`` and its sub-commands on the ``journey`` parser's sub-commands."""
    keys = commands.add_parser("keys", help="create, list and revoke API keys").add_subparsers(
        dest="keys_command", required=True
    )
    create_parser = keys.add_parser("create", help="create a key; printed once, alone on the last line")
    create_parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    create_parser.add_argument("--name", help="who or what uses it (recorded as the acting user)")
    create_parser.add_argument("--source", action="append", help="a CloudEvent source an integrator key may publish for")
    create_parser.set_defaults(run=create)
    keys.add_parser("list", help="every key, never its secret").set_defaults(run=list_keys)
    revoke_parser = keys.add_parser("revoke", help="revoke a key by its id")
    revoke_parser.add_argument("key_id")
    revoke_parser.set_defaults(run=revoke)
