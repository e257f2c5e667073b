"""``journey checkpoint``, ``journey verify`` and ``journey chain``: tamper evidence from the
command line (see docs/adr/0014-hash-chain.md).

``checkpoint`` prints the chain's head (and ``--out FILE`` writes it as JSON) to be kept
elsewhere; ``verify`` checks the chain (and that the stream still extends a checkpoint), exit 0
when all holds and 1 naming the first bad position; ``chain`` tells how far the chain reaches,
and ``chain --seal`` chains the events of a store written before the chain existed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from services.settings import get_settings


@contextmanager
def _journey() -> Iterator[Any]:
    from services.bootstrap import bootstrap  # noqa: PLC0415 -- wires the store only when a command runs

    journey = bootstrap(get_settings())
    try:
        yield journey
    finally:
        journey.close()


def checkpoint(args: argparse.Namespace) -> None:
    from services.verification import take_checkpoint  # noqa: PLC0415

    with _journey() as journey:
        try:
            point = take_checkpoint(journey)
        except ValueError as error:
            raise SystemExit(f"no checkpoint: {error}") from None
    if args.out is not None:
        Path(args.out).write_text(point.to_json() + "\n")
    print(f"checkpoint at position {point.position}: {point.hash}")
    print(f"taken {point.at} on {point.store}{f'; written to {args.out}' if args.out else ''}; keep it elsewhere")


def verify(args: argparse.Namespace) -> None:
    from services.console import progress  # noqa: PLC0415
    from services.verification import Checkpoint  # noqa: PLC0415
    from services.verification import verify as run_checks  # noqa: PLC0415

    try:
        point = Checkpoint.load(Path(args.checkpoint)) if args.checkpoint else None
    except ValueError as error:
        raise SystemExit(f"not verified: {error}") from None
    with _journey() as journey:
        if journey.settings.projector_source != "kafka":
            journey.catch_up_views()  # the views are compared and name the customers' aggregates
        report = run_checks(journey, point, progress)
    print(report.to_json() if args.json else report.to_text())
    if not report.ok:
        where = f": first bad position {report.first_bad_position}" if report.first_bad_position is not None else ""
        raise SystemExit(f"verification failed{where}")


def chain(args: argparse.Namespace) -> None:
    from services.console import progress  # noqa: PLC0415

    with _journey() as journey:
        recorder, events = journey.service.app.recorder, journey.service.head()
        head = recorder.chain_head()
        if args.seal:
            chained = head.position if head else 0
            with progress("chaining stored events", max(events - chained, 0)) as advance:
                added = recorder.seal_chain(advance)
            head = recorder.chain_head()
            print(f"chained {added} events stored before the chain" if added else "nothing to chain")
        reach = head.position if head else 0
        print(f"the chain reaches position {reach} of {events}"
              + ("" if reach >= events else ": `journey chain --seal` chains the rest"))


def add_parsers(commands: Any) -> None:
    """Register ``checkpoint``, ``verify`` and ``chain`` on the ``journey`` parser's sub-commands."""
    parsers: list[tuple[str, str, Callable[[argparse.Namespace], None]]] = [
        ("checkpoint", "print (and write) the hash chain's head, to be kept elsewhere", checkpoint),
        ("verify", "check the hash chain (and a checkpoint); exit 1 naming the first bad position", verify),
        ("chain", "how far the hash chain reaches; --seal chains a store written before it", chain),
    ]
    made = {name: commands.add_parser(name, help=text) for name, text, _ in parsers}
    for name, _, run in parsers:
        made[name].set_defaults(run=run)
    made["checkpoint"].add_argument("--out", help="also write the checkpoint to this file (JSON)")
    made["verify"].add_argument("--checkpoint", help="a file written by `journey checkpoint --out`")
    made["verify"].add_argument("--json", action="store_true", help="the report as JSON")
    made["chain"].add_argument("--seal", action="store_true", help="chain the stored events not chained yet")
