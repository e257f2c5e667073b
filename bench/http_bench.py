"""The HTTP cases of ``make bench`` (alone: ``python -m bench http``): every case against a
real ``journey serve`` child process, each on its own fresh database, on SQLite and on a
PostgreSQL with fsync on (the server's default), with the issue's aims marked met or missed.

Sizes come from the environment (defaults keep a store's section within a few minutes):
  BENCH_HTTP_TOUCHPOINTS   touchpoints of the batch-ingest case (default 20000)
  BENCH_HTTP_BATCH         touchpoints per request in the batch and burst cases (default 250)
  BENCH_HTTP_BATCH_CLIENTS clients posting batches in the batch case (default 1)
  BENCH_HTTP_CLIENTS       concurrent clients of the single-event case (default 16)
  BENCH_HTTP_SINGLE_SECONDS  how long they send (default 10)
  BENCH_HTTP_RATE          writes/s of the write-to-visible case (default 200)
  BENCH_HTTP_LATENCY_CLIENTS paced clients sharing that rate (default 32)
  BENCH_HTTP_LATENCY_SECONDS how long it writes (default 10)
  BENCH_HTTP_BURST         touchpoints of the burst (default 50000)
  BENCH_HTTP_BURST_CLIENTS clients posting the burst's batches (default 2)
  BENCH_HTTP_CATCH_UP_LIMIT  longest wait for the views after the burst, seconds (default 120)
  BENCH_HTTP_LIBRARY_EVENTS  events of the library's 100-per-save reference (default 20000)
  BENCH_HTTP_WORKERS       API processes of the server under test, `journey serve --workers` (default 1)
  BENCH_STORES, BENCH_SEED, JOURNEY_BENCH_DATABASE_URL as for the other cases.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.cluster import durable_postgres_stores
from bench.http_cases import (
    CpuMeter,
    HttpResult,
    batch_ingest,
    burst,
    empty_requests,
    single_events,
    write_to_visible,
)
from bench.http_server import journey_server
from bench.runner import Result, env_int, measure
from bench.stores import Stores, sqlite_stores

TOUCHPOINTS = env_int("BENCH_HTTP_TOUCHPOINTS", 20_000)
BATCH = env_int("BENCH_HTTP_BATCH", 250)
BATCH_CLIENTS = env_int("BENCH_HTTP_BATCH_CLIENTS", 1)
CLIENTS = env_int("BENCH_HTTP_CLIENTS", 16)
SINGLE_SECONDS = env_int("BENCH_HTTP_SINGLE_SECONDS", 10)
RATE = env_int("BENCH_HTTP_RATE", 200)
LATENCY_CLIENTS = env_int("BENCH_HTTP_LATENCY_CLIENTS", 32)
LATENCY_SECONDS = env_int("BENCH_HTTP_LATENCY_SECONDS", 10)
BURST = env_int("BENCH_HTTP_BURST", 50_000)
BURST_CLIENTS = env_int("BENCH_HTTP_BURST_CLIENTS", 2)
CATCH_UP_LIMIT = env_int("BENCH_HTTP_CATCH_UP_LIMIT", 120)
LIBRARY_EVENTS = env_int("BENCH_HTTP_LIBRARY_EVENTS", 20_000)
SEED = env_int("BENCH_SEED", 1)
SINGLE_MOST = 4_000 * SINGLE_SECONDS  # bodies encoded up front: enough for 4,000 events/s
POST_BOUND = 300.0  # seconds any posting case may take before it stops sending

OPENERS: dict[str, Callable[[], contextlib.AbstractContextManager[Stores]]] = {
    "sqlite": sqlite_stores, "postgres": durable_postgres_stores,
}


def sizes() -> dict[str, object]:
    return {"batch case": f"{TOUCHPOINTS:,} touchpoints, {BATCH}/request, {BATCH_CLIENTS} client(s)",
            "single": f"{CLIENTS} clients for {SINGLE_SECONDS} s",
            "write-to-visible": f"{RATE} writes/s for {LATENCY_SECONDS} s from {LATENCY_CLIENTS} clients",
            "burst": f"{BURST:,} touchpoints, {BURST_CLIENTS} client(s), catch-up wait <= {CATCH_UP_LIMIT} s",
            "library ref": f"{LIBRARY_EVENTS:,} events, 100/save", "seed": SEED}


def _cases() -> list[tuple[str, Callable[[Any, CpuMeter, str], HttpResult]]]:
    return [
        ("ceiling", lambda s, m, label: empty_requests(s, m, label, clients=CLIENTS, seconds=SINGLE_SECONDS / 2)),
        ("batch", lambda s, m, label: batch_ingest(
            s, m, label, touchpoints=TOUCHPOINTS, batch=BATCH, clients=BATCH_CLIENTS, seed=SEED, bound=POST_BOUND)),
        ("single", lambda s, m, label: single_events(
            s, m, label, clients=CLIENTS, seconds=SINGLE_SECONDS, most=SINGLE_MOST, seed=SEED)),
        ("latency", lambda s, m, label: write_to_visible(
            s, m, label, rate=RATE, seconds=LATENCY_SECONDS, clients=LATENCY_CLIENTS, seed=SEED)),
        ("burst", lambda s, m, label: burst(
            s, m, label, touchpoints=BURST, batch=BATCH, clients=BURST_CLIENTS, seed=SEED, bound=POST_BOUND,
            catch_up_bound=CATCH_UP_LIMIT)),
    ]


def bench_store(stores: Stores, logs: Path) -> tuple[Result | None, list[HttpResult | str]]:
    """The library's reference and every HTTP case, each case on a fresh database and server.
    A case that fails is reported as its error message; the others still run."""
    library: Result | None = None
    try:
        library = measure("library: 100 events per save (ref)", stores.label, "library",
                          ["library", stores.new("http_library"), "--events", str(LIBRARY_EVENTS), "--batch", "100"])
    except Exception as error:  # noqa: BLE001 - reported, the HTTP cases still run
        print(f"  library reference failed: {error}", file=sys.stderr)
    postmaster = getattr(stores, "postmaster_pid", lambda: None)()
    results: list[HttpResult | str] = []
    for slug, case in _cases():
        print(f"  [{stores.label}] http {slug} ...", end="", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            with journey_server(stores.new(f"http_{slug}"), logs / f"{stores.label}-{slug}.log") as server:
                result = case(server, CpuMeter(server, postmaster), stores.label)
        except Exception as error:  # noqa: BLE001 - one broken case must not hide the others
            traceback.print_exc(file=sys.stderr)
            results.append(f"{slug} on {stores.label} failed: {type(error).__name__}: {error}".splitlines()[0])
            continue
        print(f" {result.count:,} in {result.seconds:.1f} s ({result.rate:,.0f}/s), errors {dict(result.errors)}, "
              f"{time.perf_counter() - started:.0f} s with server start and stop", file=sys.stderr)
        results.append(result)
    return library, results


def run(labels: list[str]) -> tuple[list[str], list[Result], list[HttpResult | str]]:
    """Every store's HTTP section: (store descriptions, library references, case results)."""
    described: list[str] = []
    libraries: list[Result] = []
    results: list[HttpResult | str] = []
    with tempfile.TemporaryDirectory(prefix="journey-bench-http-") as logs:
        for label in labels:
            print(f"{label} over HTTP:", file=sys.stderr)
            with OPENERS[label]() as stores:
                described.append(stores.describe())
                library, store_results = bench_store(stores, Path(logs))
            libraries += [library] if library else []
            results += store_results
    return described, libraries, results
