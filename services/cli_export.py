"""``journey export CUSTOMER [--out FILE]``: the person's whole history and current views as one
JSON document (right of access), on the configured store."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from services.settings import get_settings


def export_customer(args: argparse.Namespace) -> None:
    from domain.errors import UnknownError  # noqa: PLC0415 -- wires the store only when a command runs
    from services.bootstrap import bootstrap  # noqa: PLC0415
    from services.export import export  # noqa: PLC0415

    journey = bootstrap(get_settings())
    try:
        document = export(journey, args.customer_id, catch_up=True)
    except UnknownError:
        raise SystemExit(f"no export: customer {args.customer_id!r} is unknown") from None
    finally:
        journey.close()
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(f"exported {len(document['events'])} events of {args.customer_id} at position "
              f"{document['position']} to {args.out}", file=sys.stderr)
    else:
        print(text)


def add_parsers(commands: Any) -> None:
    parser = commands.add_parser("export", help="a person's history and views as one JSON document")
    parser.add_argument("customer_id")
    parser.add_argument("--out", help="write the document to this file instead of standard output")
    parser.set_defaults(run=export_customer)
