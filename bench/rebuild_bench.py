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

from collections.abc import Iterator, Sequence

from bench import report
from bench.runner import Result, env_int
from bench.stores import Stores, on_each_store, run_case

EVENTS = env_int("BENCH_REBUILD_EVENTS", 1_000_000)
PAGE = env_int("BENCH_REBUILD_PAGE", 5_000)
SEED = env_int("BENCH_SEED", 1)

RATE_AIM = 30_000  # events/s
RATIO_AIM = 0.7  # of the raw read-and-decode rate
MILLION_SECONDS_AIM = 60.0  # 1M events on PostgreSQL
PEAK_AIM_MIB = 300.0
AS_OF_READS = env_int("BENCH_AS_OF_READS", 200)
AS_OF_AIM_MS = 50.0
VERIFY_AIM = 2.0  # x the rebuild's time


Measured = tuple[Result, Result, Result, Result]


def bench_store(stores: Stores) -> Measured:
    """The stream, then the raw read and the rebuild, each on its own copy of it; then, on the
    rebuilt copy, past views of random customers and a whole verification."""
    run_case(stores, f"ingest {EVENTS:,} events (setup)", "ingest", "rebuild-ingest",
             ["ingest", stores.new("stream"), "--events", str(EVENTS), "--batch", "250", "--seed", str(SEED)])
    raw = run_case(stores, f"read + decode log, pages of {PAGE:,} (raw)", "read", "rebuild-read",
                   ["read", stores.copy("stream", "raw"), "--batch-size", str(PAGE)])
    rebuilt_url = stores.copy("stream", "rebuilt")
    rebuilt = run_case(stores, f"rebuild: every view, pages of {PAGE:,}", "rebuild", "rebuild",
                       ["rebuild", rebuilt_url, "--batch-size", str(PAGE)])
    past = run_case(stores, f"as-of read of one customer's billing ({AS_OF_READS} random)", "as-of", "as-of",
                    ["as-of", rebuilt_url, "--events", str(AS_OF_READS), "--seed", str(SEED)])
    verified = run_case(stores, "verify: chain, views rebuilt and compared, decisions", "verify", "verify",
                        ["verify", rebuilt_url])
    return raw, rebuilt, past, verified


def run(labels: Sequence[str]) -> tuple[list[str], list[Measured]]:
    return on_each_store(labels, "rebuild", bench_store)


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


def section(described: Sequence[str], results: Sequence[Measured]) -> Iterator[str]:
    yield "## Rebuild of every view"
    yield ""
    yield from (f"- store: {d}" for d in described)
    yield f"- sizes: stream={EVENTS:,} events (BENCH_REBUILD_EVENTS), page={PAGE:,} events, seed={SEED}"
    yield report.load()
    yield ""
    yield "| case | store | events | seconds | events/s | vs raw | peak RSS MiB | aims |"
    yield "|---|---|---:|---:|---:|---:|---:|---|"
    for raw, rebuilt, _, _ in results:
        yield (f"| {raw.case} | {raw.store} | {raw.events:,} | {raw.seconds:,.2f} | {raw.rate:,.0f} | baseline "
               f"| {raw.peak_rss_mib:,.1f} | |")
        ratio = rebuilt.rate / raw.rate if raw.rate else 0.0
        yield (f"| {rebuilt.case} | {rebuilt.store} | {rebuilt.events:,} | {rebuilt.seconds:,.2f} "
               f"| {rebuilt.rate:,.0f} | {ratio:.2f}x | {rebuilt.peak_rss_mib:,.1f} | {'; '.join(aims(raw, rebuilt))} |")
    yield ""
    yield "| case | store | events in the store | figure | aim |"
    yield "|---|---|---:|---|---|"
    for _, rebuilt, past, verified in results:
        p50, p99 = past.raw["p50_ms"], past.raw["p99_ms"]
        yield (f"| {past.case} | {past.store} | {past.raw['end']:,} | p50 {p50:,.1f} ms, p99 {p99:,.1f} ms, "
               f"max {past.raw['max_ms']:,.1f} ms over {past.raw['customers']:,} customers "
               f"| < {AS_OF_AIM_MS:.0f} ms: {'met' if p99 < AS_OF_AIM_MS else 'MISSED'} (p99) |")
        ratio = verified.seconds / rebuilt.seconds if rebuilt.seconds else 0.0
        checks = ", ".join(f"{name} {n:,}" for name, n in verified.raw["checks"].items())
        yield (f"| {verified.case} | {verified.store} | {verified.events:,} | {verified.seconds:,.1f} s "
               f"({ratio:.2f}x the rebuild; checked: {checks}), peak RSS {verified.peak_rss_mib:,.0f} MiB "
               f"| <= {VERIFY_AIM:.0f}x rebuild: {'met' if ratio <= VERIFY_AIM else 'MISSED'} |")
    yield ""
    yield ("Rebuild seconds include the switch (on SQLite the secondary indexes are built under their live names "
           "inside it); wall time of the rebuild process, imports included, is the seconds plus under 2 s.")
