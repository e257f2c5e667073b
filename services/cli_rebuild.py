"""``journey rebuild [--resume | --discard]``: rebuild every view from the stream into new tables
and switch them in atomically, while the API keeps answering from the old ones.

Interrupted (Ctrl-C, a kill), it leaves the live views untouched and its new tables where they
got to: run it again to resume there (the default), or ``--discard`` to drop them.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from services.settings import get_settings


def rebuild_views(args: argparse.Namespace) -> None:
    from services.bootstrap import bootstrap  # noqa: PLC0415 -- wires the store only when a command runs
    from services.console import progress  # noqa: PLC0415
    from services.rebuild import PAGE_SIZE, RebuildRefusedError, discard, partial_rebuild, rebuild  # noqa: PLC0415

    journey = bootstrap(get_settings())
    try:
        if args.discard:
            dropped = discard(journey)
            print("no partial rebuild to discard" if dropped is None else
                  f"discarded the partial rebuild (it had reached position {dropped}); the live views are untouched")
            return
        partial = partial_rebuild(journey)
        if partial is not None:
            print(f"resuming the partial rebuild from position {partial} (`journey rebuild --discard` drops it)")
        elif args.resume:
            print("no partial rebuild to resume: rebuilding from the start")
        head = journey.service.head()
        try:
            with progress("rebuilding views", max(head - (partial or 0), 0)) as advance:
                done = rebuild(journey, page_size=args.page_size or PAGE_SIZE, advance=advance)
        except RebuildRefusedError as error:
            raise SystemExit(f"not rebuilt: {error}") from None
        except KeyboardInterrupt:
            reached = partial_rebuild(journey)
            print(f"\ninterrupted at position {reached}: the live views are untouched; run `journey rebuild` "
                  "again to resume, or `journey rebuild --discard`", file=sys.stderr)
            raise SystemExit(130) from None
        print(f"rebuilt the views from {done.events} events and switched them in; views at position {done.position}")
    finally:
        journey.close()


def add_parsers(commands: Any) -> None:
    """Register ``rebuild`` on the ``journey`` parser's sub-commands."""
    parser = commands.add_parser("rebuild", help="rebuild every view from the stream, switched in without downtime")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--resume", action="store_true",
                        help="resume a partial rebuild (the default when one exists)")
    choice.add_argument("--discard", action="store_true", help="drop a partial rebuild's tables and stop")
    parser.add_argument("--page-size", type=int, default=None, help="events per transaction (default 5000)")
    parser.set_defaults(run=rebuild_views)
