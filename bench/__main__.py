"""``python -m bench`` (``make bench``): ingest and catch-up figures on SQLite and PostgreSQL,
with ratios against the library's naive way and peak memory of every run, then the same
touchpoints over HTTP against a real ``journey serve`` (bench/http_bench.py), then through Kafka
with the three Kafka workers (bench/kafka_bench.py). Prints Markdown.

  python -m bench          everything
  python -m bench core     the in-process cases only
  python -m bench http     the HTTP cases only (sizes: see bench/http_bench.py)
  python -m bench kafka    the Kafka cases only (sizes: see bench/kafka_bench.py)
  python -m bench rebuild  the rebuild of every view only (sizes: see bench/rebuild_bench.py)
  python -m bench campaigns  the campaign policies only (sizes: see bench/campaign_bench.py)

Sizes of the in-process cases come from the environment:
  BENCH_EVENTS        stored events of the catch-up stream N (default 20000); 4N is built too
  BENCH_SCALE         the large stream is BENCH_SCALE x N (default 4)
  BENCH_BATCH         touchpoints per ingest call in the batch case (default 250)
  BENCH_SINGLE        touchpoints ingested one per call (default 2000)
  BENCH_NAIVE_EVENTS  events saved one per Application.save() (default 3000)
  BENCH_NAIVE_CATCH_UP  events of stream N projected one per transaction (default 5000)
  BENCH_STORES        comma-separated, of sqlite,postgres (default both)
  BENCH_SEED          seed of the generated customers (default 1)
  BENCH_PROFILE_DIR   when set, every run also writes cProfile stats there (slower!)
  JOURNEY_BENCH_DATABASE_URL  a PostgreSQL server to create the databases on; without it a
                              throwaway local cluster is started (tests.support.postgres)
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator

from bench import campaign_bench, http_bench, http_report, kafka_bench, kafka_report, rebuild_bench, report
from bench.report import Row
from bench.runner import PROFILE_DIR, Result, env_int, throwaway_master_key
from bench.stores import OPENERS, Stores, run_case

EVENTS = env_int("BENCH_EVENTS", 20_000)
SCALE = env_int("BENCH_SCALE", 4)
BATCH = env_int("BENCH_BATCH", 250)
SINGLE = env_int("BENCH_SINGLE", 2_000)
NAIVE = env_int("BENCH_NAIVE_EVENTS", 3_000)
NAIVE_CATCH_UP = env_int("BENCH_NAIVE_CATCH_UP", 5_000)
SEED = env_int("BENCH_SEED", 1)


def bench_store(stores: Stores) -> tuple[list[Row], list[tuple[Result, Result]]]:
    """Every case on one kind of store, each on its own fresh database."""
    big = EVENTS * SCALE
    seed = ["--seed", str(SEED)]
    naive = run_case(stores, "library: 1 event per save (naive)", "library", "library-1",
                     ["library", stores.new("library1"), "--events", str(NAIVE), "--batch", "1"])
    lib100 = run_case(stores, "library: 100 events per save (ref)", "library", "library-100",
                      ["library", stores.new("library100"), "--events", str(EVENTS), "--batch", "100"])
    single = run_case(stores, "ingest: 1 touchpoint per call", "ingest", "ingest-1",
                      ["ingest", stores.new("single"), "--touchpoints", str(SINGLE), "--batch", "1", *seed])
    batch_n = run_case(stores, f"ingest: {BATCH} touchpoints per call (N)", "ingest", "ingest-n",
                       ["ingest", stores.new("n"), "--events", str(EVENTS), "--batch", str(BATCH), *seed])
    batch_4n = run_case(stores, f"ingest: {BATCH} touchpoints per call ({SCALE}N)", "ingest", "ingest-4n",
                        ["ingest", stores.new("big"), "--events", str(big), "--batch", str(BATCH), *seed])
    read = run_case(stores, "read + decode log only, pages of 1000 (ref)", "read", "read",
                    ["read", stores.copy("n", "read"), "--batch-size", "1000"])
    per_event = run_case(stores, "catch-up: 1 event per transaction (naive)", "catch-up", "catch-up-1",
                         ["catch-up-per-event", stores.copy("n", "per_event"), "--events", str(NAIVE_CATCH_UP)])
    catch_n = run_case(stores, "catch-up: batch_size 1000 (N)", "catch-up", "catch-up-n",
                       ["catch-up", stores.copy("n", "catch_n"), "--batch-size", "1000"])
    catch_4n = run_case(stores, f"catch-up: batch_size 1000 ({SCALE}N)", "catch-up", "catch-up-4n",
                        ["catch-up", stores.copy("big", "catch_big"), "--batch-size", "1000"])

    def ingest_target(r: Result) -> str:
        if stores.label != "postgres":
            return ""
        return report.target(r.rate, report.INGEST_TARGET, "events/s")

    def catch_up_target(r: Result) -> str:
        return report.target(r.rate, report.CATCH_UP_TARGET, "events/s per view")

    rows = [
        Row(naive, naive),
        Row(lib100, naive),
        Row(single, naive),
        Row(batch_n, naive, ingest_target(batch_n)),
        Row(batch_4n, naive, ingest_target(batch_4n)),
        Row(per_event, per_event),
        Row(catch_n, per_event, catch_up_target(catch_n)),
        Row(catch_4n, per_event, catch_up_target(catch_4n)),
        Row(read, per_event),
    ]
    return rows, [(catch_n, catch_4n), (batch_n, batch_4n)]


def core(labels: list[str]) -> Iterator[str]:
    """The in-process cases on every store, then their report."""
    if PROFILE_DIR:
        PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    pairs: list[tuple[Result, Result]] = []
    described: list[str] = []
    with contextlib.ExitStack() as stack:
        for label in labels:
            print(f"{label}:", file=sys.stderr)
            stores = stack.enter_context(OPENERS[label]())
            described.append(stores.describe())
            store_rows, store_pairs = bench_store(stores)
            rows += store_rows
            pairs += store_pairs
    sizes = {"N": f"{EVENTS:,} events", "large": f"{SCALE}N", "batch": f"{BATCH} touchpoints/call",
             "single": f"{SINGLE:,} touchpoints", "naive save": f"{NAIVE:,} events",
             "naive catch-up": f"first {NAIVE_CATCH_UP:,} events of N", "seed": SEED}
    return _report(described, sizes, rows, pairs)


def _stop(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    what = args[0] if args else "all"
    if what not in ("all", "core", "http", "kafka", "rebuild", "campaigns") or len(args) > 1:
        raise SystemExit("usage: python -m bench [all|core|http|kafka|rebuild|campaigns]")
    labels = [s.strip() for s in os.environ.get("BENCH_STORES", "sqlite,postgres").split(",") if s.strip()]
    throwaway_master_key()  # inherited by every worker and server the bench starts
    signal.signal(signal.SIGTERM, _stop)  # unwind: servers and clusters are stopped on the way out
    started = time.perf_counter()
    if what in ("all", "core"):
        for line in core(labels):  # printed before the HTTP cases start: kept if they fail
            print(line, flush=True)
    if what in ("all", "http"):
        described, libraries, results = http_bench.run(labels)
        print("\n".join(["# customer-journey benchmark", "", *report.machine(), ""]) if what == "http" else "")
        for line in http_report.section(described, http_bench.sizes(), libraries, results):
            print(line, flush=True)
    if what in ("all", "kafka"):
        broker, stores, raw, outcomes = kafka_bench.run(labels)
        print("\n".join(["# customer-journey benchmark", "", *report.machine(), ""]) if what == "kafka" else "")
        for line in kafka_report.section(broker, stores, kafka_bench.sizes(), kafka_bench.worker_settings(),
                                         raw, outcomes):
            print(line, flush=True)
    if what in ("all", "rebuild"):
        described, results = rebuild_bench.run(labels)
        print("\n".join(["# customer-journey benchmark", "", *report.machine(), ""]) if what == "rebuild" else "")
        for line in rebuild_bench.section(described, results):
            print(line, flush=True)
    if what in ("all", "campaigns"):
        described, measured = campaign_bench.run(labels)
        print("\n".join(["# customer-journey benchmark", "", *report.machine(), ""]) if what == "campaigns" else "")
        for line in campaign_bench.section(described, measured):
            print(line, flush=True)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


def _report(described: list[str], sizes: dict[str, object], rows: list[Row],
            pairs: list[tuple[Result, Result]]) -> Iterator[str]:
    yield report.header(described, sizes)
    yield ""
    yield "## Throughput"
    yield ""
    yield report.table(rows)
    yield ""
    yield f"## Memory over N and {SCALE}N stored events"
    yield ""
    yield report.memory_table(pairs, SCALE)
    yield ""
    yield report.NOTES


if __name__ == "__main__":
    main()
