"""``journey erase CUSTOMER``: erase a person's personal data (right to be forgotten) on the
configured store, as the data protection officer; prints the erasure's position."""

from __future__ import annotations

import argparse
from typing import Any

from domain.errors import UnknownError
from domain.values import Department, Principal
from services.settings import get_settings


def erase(args: argparse.Namespace) -> None:
    from services.bootstrap import bootstrap  # noqa: PLC0415 -- wires the store only when a command runs
    from services.privacy import Privacy  # noqa: PLC0415

    journey = bootstrap(get_settings())
    try:
        erasure = Privacy(journey).erase(args.customer, Principal(Department.PRIVACY), purge=not args.no_purge)
    except UnknownError as error:
        raise SystemExit(str(error)) from None
    finally:
        journey.close()
    state = "erased" if erasure.recorded else "was erased before; key and files purged again"
    print(f"customer {erasure.customer_id} {state} at position {erasure.position} "
          f"(database purged in {erasure.purge_seconds:.2f} s)")


def add_parsers(commands: Any) -> None:
    """Register ``erase`` on the ``journey`` parser's sub-commands."""
    parser = commands.add_parser("erase", help="erase a customer's personal data (crypto-shredding)")
    parser.add_argument("customer", help="the customer id")
    parser.add_argument("--no-purge", action="store_true",
                        help="skip removing old row versions from the database files (VACUUM FULL on PostgreSQL "
                        "locks the view tables while it runs); run `journey erase` again later to purge")
    parser.set_defaults(run=erase)
