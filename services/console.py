"""Progress of long command-line runs (rebuild, verify): events done, rate and time left.

On a terminal a live bar (rich); otherwise, e.g. in a log or a pipe, one plain line at most every
``every`` seconds and one at the end, so a long run in a container still tells how far it is.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

Advance = Callable[[int], None]


@contextmanager
def progress(description: str, total: int, *, stream: TextIO | None = None, every: float = 2.0) -> Iterator[Advance]:
    """Yield ``advance(n)``, to be called with each ``n`` events done, while a progress display
    for ``total`` events is shown on ``stream`` (standard error by default)."""
    out = stream or sys.stderr
    if out.isatty():
        columns = (
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[rate]} events/s"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        )
        started = time.monotonic()
        with Progress(*columns, console=Console(file=out), transient=False) as bar:
            task = bar.add_task(description, total=total, rate="-")

            def advance(n: int) -> None:
                done = bar.tasks[0].completed + n
                elapsed = max(time.monotonic() - started, 1e-9)
                bar.update(task, advance=n, rate=f"{done / elapsed:,.0f}")

            yield advance
        return
    yield from _plain(description, total, out, every)


def _plain(description: str, total: int, out: TextIO, every: float) -> Iterator[Advance]:
    started = last = time.monotonic()
    done = 0

    def line() -> str:
        elapsed = max(time.monotonic() - started, 1e-9)
        rate = done / elapsed
        left = f", ETA {(total - done) / rate:,.0f} s" if rate and done < total else ""
        return f"{description}: {done:,}/{total:,} events, {rate:,.0f} events/s, {elapsed:,.1f} s{left}\n"

    def advance(n: int) -> None:
        nonlocal done, last
        done += n
        now = time.monotonic()
        if now - last >= every:
            last = now
            out.write(line())
            out.flush()

    yield advance
    out.write(line())
    out.flush()
