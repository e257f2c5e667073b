"""``journey rebuild [--view NAME] [--resume | --discard]``: rebuild every view (or one) from the
stream into new tables and switch them in atomically, while the API keeps answering from the old
ones.

Interrupted (Ctrl-C, a kill), it leaves the live views untouched and its new tables where they
got to: run it again to resume there (the default), or ``--discard`` to drop them.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from projections.views import VIEWS
from services.settings import get_settings


def rebuild_views(args: argparse.Namespace) -> None:
    from adapters.rebuild_tables import ScratchAheadError, ScratchGoneError  # noqa: PLC0415 -- wires the store only when a command runs
    from services.bootstrap import bootstrap  # noqa: PLC0415
    from services.console import progress  # noqa: PLC0415
    from services.rebuild import PAGE_SIZE, RebuildRefusedError, discard, partial_rebuild, rebuild  # noqa: PLC0415

    journey = bootstrap(get_settings())
    view, again = args.view, "journey rebuild" + (f" --view {args.view}" if args.view else "")
    try:
        if args.discard:
            dropped = discard(journey, view)
            print("no partial rebuild to discard" if dropped is None else
                  f"discarded the partial rebuild (it had reached position {dropped}); the live views are untouched")
            return
        partial = partial_rebuild(journey, view)
        if partial is not None:
            print(f"resuming the partial rebuild from position {partial} (`{again} --discard` drops it)")
        elif args.resume:
            print("no partial rebuild to resume: rebuilding from the start")
        end = journey.service.head() if view is None else journey.reads.position()
        what = "views" if view is None else f"the {view} view"
        try:
            with progress(f"rebuilding {what}", max(end - (partial or 0), 0)) as advance:
                done = rebuild(journey, view=view, page_size=args.page_size or PAGE_SIZE, advance=advance)
        except (RebuildRefusedError, ScratchAheadError, ScratchGoneError) as error:
            raise SystemExit(f"not rebuilt: {error}") from None
        except KeyboardInterrupt:
            reached = partial_rebuild(journey, view)
            print(f"\ninterrupted at position {reached}: the live views are untouched; run `{again}` "
                  f"again to resume, or `{again} --discard`", file=sys.stderr)
            raise SystemExit(130) from None
        print(f"rebuilt {what} from {done.events} events and switched {'them' if view is None else 'it'} in; "
              f"views at position {done.position}")
    finally:
        journey.close()


def add_parsers(commands: Any) -> None:
    """Register ``rebuild`` on the ``journey`` parser's sub-commands."""
    parser = commands.add_parser("rebuild", help="rebuild every view from the stream, switched in without downtime")
    parser.add_argument("--view", choices=VIEWS, default=None,
                        help="rebuild this view alone (its rows switched in; the others untouched)")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--resume", action="store_true",
                        help="resume a partial rebuild (the default when one exists)")
    choice.add_argument("--discard", action="store_true", help="drop a partial rebuild's tables and stop")
    parser.add_argument("--page-size", type=int, default=None, help="events per transaction (default 5000)")
    parser.set_defaults(run=rebuild_views)
