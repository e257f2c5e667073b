"""The rebuild cases of ``make bench`` (alone: ``python -m bench rebuild``): on each store, a
stream of N generated events, then (a) the raw read-and-decode rate of the log (every stored
event through the application's mapper into a domain event, nothing folded) and (b) a full
rebuild of every view (``services/rebuild.py``: new tables filled from the stream, then switched
in), each in its own fresh process with its peak RSS.

Sizes come from the environment:
  BENCH_REBUILD_EVENTS   stored events of the stream (default 1000000; ingesting them takes
                         minutes: shrink it for a trial run)
  BENCH_REBUILD_PAGE     events per page read and per rebuild transaction (default 5000)
  BENCH_STORES, BENCH_SEED, BENCH_PROFILE_DIR, JOURNEY_BENCH_DATABASE_URL as for the other cases.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from bench import report
from bench.runner import Result, env_int, measure
from bench.stores import Stores, postgres_stores, sqlite_stores

EVENTS = env_int("BENCH_REBUILD_EVENTS", 1_000_000)
PAGE = env_int("BENCH_REBUILD_PAGE", 5_000)
SEED = env_int("BENCH_SEED", 1)
PROFILE_DIR = Path(os.environ["BENCH_PROFILE_DIR"]) if os.environ.get("BENCH_PROFILE_DIR") else None
OPENERS: dict[str, Callable[[], contextlib.AbstractContextManager[Stores]]] = {
    "sqlite": sqlite_stores, "postgres": postgres_stores,
}

RATE_AIM = 30_000  # events/s
RATIO_AIM = 0.7  # of the raw read-and-decode rate
MILLION_SECONDS_AIM = 60.0  # 1M events on PostgreSQL
PEAK_AIM_MIB = 300.0


def _run(stores: Stores, case: str, kind: str, slug: str, args: list[str]) -> Result:
    profile = PROFILE_DIR / f"{stores.label}-{slug}.prof" if PROFILE_DIR else None
    return measure(case, stores.label, kind, args, profile)


def bench_store(stores: Stores) -> tuple[Result, Result]:
    """The stream, then the raw read and the rebuild, each on its own copy of it."""
    _run(stores, f"ingest {EVENTS:,} events (setup)", "ingest", "rebuild-ingest",
         ["ingest", stores.new("stream"), "--events", str(EVENTS), "--batch", "250", "--seed", str(SEED)])
    raw = _run(stores, f"read + decode log, pages of {PAGE:,} (raw)", "read", "rebuild-read",
               ["read", stores.copy("stream", "raw"), "--batch-size", str(PAGE)])
    rebuilt = _run(stores, f"rebuild: every view, pages of {PAGE:,}", "rebuild", "rebuild",
                   ["rebuild", stores.copy("stream", "rebuilt"), "--batch-size", str(PAGE)])
    return raw, rebuilt


def run(labels: Sequence[str]) -> tuple[list[str], list[tuple[Result, Result]]]:
    described: list[str] = []
    results: list[tuple[Result, Result]] = []
    with contextlib.ExitStack() as stack:
        for label in labels:
            print(f"{label} (rebuild):", file=sys.stderr)
            stores = stack.enter_context(OPENERS[label]())
            described.append(stores.describe())
            results.append(bench_store(stores))
    return described, results


def aims(raw: Result, rebuilt: Result) -> list[str]:
    """The issue's aims for one store, each met or MISSED."""
    ratio = rebuilt.rate / raw.rate if raw.rate else 0.0
    found = [
        report.target(rebuilt.rate, RATE_AIM, "events/s"),
        f">= {RATIO_AIM}x raw: {'met' if ratio >= RATIO_AIM else 'MISSED'} ({ratio:.2f}x)",
        f"peak < {PEAK_AIM_MIB:.0f} MiB: {'met' if rebuilt.peak_rss_mib < PEAK_AIM_MIB else 'MISSED'}",
    ]
    if rebuilt.store == "postgres":
        at_million = rebuilt.seconds * 1_000_000 / max(rebuilt.events, 1)
        scaled = "" if rebuilt.events == 1_000_000 else f" (scaled from {rebuilt.events:,})"
        found.append(f"1M < {MILLION_SECONDS_AIM:.0f} s: {'met' if at_million < MILLION_SECONDS_AIM else 'MISSED'} "
                     f"({at_million:,.0f} s{scaled})")
    return found


def section(described: Sequence[str], results: Sequence[tuple[Result, Result]]) -> Iterator[str]:
    yield "## Rebuild of every view"
    yield ""
    yield from (f"- store: {d}" for d in described)
    yield f"- sizes: stream={EVENTS:,} events (BENCH_REBUILD_EVENTS), page={PAGE:,} events, seed={SEED}"
    yield report.load()
    yield ""
    yield "| case | store | events | seconds | events/s | vs raw | peak RSS MiB | aims |"
    yield "|---|---|---:|---:|---:|---:|---:|---|"
    for raw, rebuilt in results:
        yield (f"| {raw.case} | {raw.store} | {raw.events:,} | {raw.seconds:,.2f} | {raw.rate:,.0f} | baseline "
               f"| {raw.peak_rss_mib:,.1f} | |")
        ratio = rebuilt.rate / raw.rate if raw.rate else 0.0
        yield (f"| {rebuilt.case} | {rebuilt.store} | {rebuilt.events:,} | {rebuilt.seconds:,.2f} "
               f"| {rebuilt.rate:,.0f} | {ratio:.2f}x | {rebuilt.peak_rss_mib:,.1f} | {'; '.join(aims(raw, rebuilt))} |")
    yield ""
    yield ("Rebuild seconds include the switch (on SQLite the secondary indexes are built under their live names "
           "inside it); wall time of the rebuild process, imports included, is the seconds plus under 2 s.")
