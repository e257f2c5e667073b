"""The three Kafka workers as operators run them, for the Kafka cases of ``make bench``:
``journey ingest``, ``journey relay`` and one ``journey project --source kafka`` as child
processes on one store, and a watcher thread that samples how far each stage is.

Every case gets its own topics and groups on the shared broker, so no case sees another's
messages. With ``BENCH_PROFILE_DIR`` set each worker runs under cProfile and writes its stats
there when it is stopped.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.http_server import cpu_seconds
from services.bootstrap import Journey, bootstrap
from services.relay import RELAY
from services.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
WORKERS = {"ingest": ("ingest",), "relay": ("relay",), "project": ("project", "--source", "kafka")}
STOP_SECONDS = 20.0


def worker_env(database_url: str, bootstrap_address: str) -> dict[str, str]:
    """JOURNEY_* variables of one case: its own topics and groups, views fed from Kafka, fast
    group joins (tansu takes tens of seconds with the client's default session timeout). Tuning
    variables (JOURNEY_KAFKA_BATCH_SIZE, ...) already in the environment pass through."""
    suffix = uuid.uuid4().hex[:8]
    return {
        **os.environ,
        "JOURNEY_DATABASE_URL": database_url, "JOURNEY_KAFKA_BOOTSTRAP": bootstrap_address,
        "JOURNEY_PROJECTOR_SOURCE": "kafka", "JOURNEY_PROJECT_IN_PROCESS": "false",
        "JOURNEY_KAFKA_TOUCHPOINTS_TOPIC": f"bench-touchpoints-{suffix}",
        "JOURNEY_KAFKA_DLQ_TOPIC": f"bench-dlq-{suffix}", "JOURNEY_KAFKA_GROUP": f"bench-ingest-{suffix}",
        "JOURNEY_KAFKA_EVENTS_TOPIC": f"bench-events-{suffix}",
        "JOURNEY_KAFKA_CUSTOMERS_TOPIC": f"bench-customers-{suffix}",
        "JOURNEY_KAFKA_PROJECTOR_GROUP": f"bench-views-{suffix}",
        "JOURNEY_KAFKA_SESSION_TIMEOUT_MS": os.environ.get("JOURNEY_KAFKA_SESSION_TIMEOUT_MS", "2000"),
        "JOURNEY_KAFKA_HEARTBEAT_INTERVAL_MS": os.environ.get("JOURNEY_KAFKA_HEARTBEAT_INTERVAL_MS", "500"),
    }


def settings_of(env: dict[str, str]) -> Settings:
    """The Settings the workers read from ``env``."""
    fields: dict[str, Any] = {k.removeprefix("JOURNEY_").lower(): v for k, v in env.items() if k.startswith("JOURNEY_")}
    return Settings(**{k: v for k, v in fields.items() if k in Settings.model_fields})


@dataclass
class Sample:
    """Where each stage was at ``t`` (perf_counter): events stored (the stream's head), relayed
    and acknowledged by the broker, applied to the views (their position)."""

    t: float
    head: int
    relayed: int
    views: int


@dataclass
class Samples:
    """Samples in time order; every stage's position only grows."""

    rows: list[Sample] = field(default_factory=list)

    def reached(self, stage: str, positions: list[int]) -> list[float | None]:
        """For each of ``positions``, the first sample time at which ``stage`` had reached it
        (None: not within the samples)."""
        times: list[float] = []
        highest: list[int] = []
        for s in self.rows:
            times.append(s.t)
            highest.append(max(getattr(s, stage), highest[-1]) if highest else getattr(s, stage))
        found: list[float | None] = []
        for position in positions:
            index = bisect.bisect_left(highest, position)
            found.append(times[index] if index < len(times) else None)
        return found

    def last(self) -> Sample | None:
        return self.rows[-1] if self.rows else None


class Watcher:
    """A thread sampling head, relay position and views position every ``interval`` seconds
    through its own connections to the store."""

    def __init__(self, settings: Settings, interval: float) -> None:
        self.journey: Journey = bootstrap(settings)
        self.interval = interval
        self.samples = Samples()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-kafka-watcher", daemon=True)

    def sample(self) -> Sample:
        j = self.journey
        head = j.service.head()
        relayed = j.store.relay_state(RELAY).position
        views = j.store.position("journey")
        return Sample(time.perf_counter(), head, relayed, views)  # taken after all three were read

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.rows.append(self.sample())
            self._stop.wait(self.interval)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.journey.close()


class Workers:
    """The three worker processes of one case; their CPU seconds and logs."""

    def __init__(self, env: dict[str, str], logs: Path, label: str, profile_dir: Path | None) -> None:
        self.env = env
        self.logs = logs
        self.label = label
        self.profile_dir = profile_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._outs: list[object] = []

    def start(self) -> Workers:
        for name, args in WORKERS.items():
            python = [sys.executable]
            if self.profile_dir is not None:
                python += ["-m", "cProfile", "-o", str(self.profile_dir / f"kafka-{self.label}-{name}.prof")]
            out = open(self.logs / f"{self.label}-{name}.log", "wb")  # noqa: SIM115 -- closed in stop()
            self._outs.append(out)
            self.processes[name] = subprocess.Popen(  # noqa: S603 -- our own interpreter and module
                [*python, "-m", "services.cli", *args], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )
        return self

    def check(self) -> None:
        """Raise when a worker has exited (with its log's tail)."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"journey {name} exited with {process.returncode}:\n{self.log_tail(name)}")

    def cpu(self) -> dict[str, float]:
        """CPU seconds of each worker so far."""
        return {name: cpu_seconds(p.pid) or 0.0 for name, p in self.processes.items()}

    def log_tail(self, name: str, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            text = (self.logs / f"{self.label}-{name}.log").read_text(errors="replace")
            return "\n".join(text.splitlines()[-lines:])
        return ""

    def tracebacks(self) -> list[str]:
        """Workers whose log shows a traceback (a supervised worker logs and carries on)."""
        found = []
        for name in self.processes:
            with contextlib.suppress(OSError):
                if "Traceback" in (self.logs / f"{self.label}-{name}.log").read_text(errors="replace"):
                    found.append(name)
        return found

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for out in self._outs:
            out.close()  # type: ignore[attr-defined]


@contextlib.contextmanager
def running(env: dict[str, str], logs: Path, label: str, profile_dir: Path | None,
            interval: float) -> Iterator[tuple[Workers, Watcher]]:
    """The store's tables created here first, then the three workers and the watcher."""
    watcher = Watcher(settings_of(env), interval)
    workers = Workers(env, logs, label, profile_dir)
    try:
        workers.start()
        watcher.start()
        yield workers, watcher
    finally:
        workers.stop()
        watcher.close()


def wait_until(done: Watcher, workers: Workers, reached: int, bound: float) -> bool:
    """Wait (at most ``bound`` seconds) until the views' position is at ``reached`` or beyond;
    False when it did not get there."""
    deadline = time.perf_counter() + bound
    while time.perf_counter() < deadline:
        last = done.samples.last()
        if last is not None and last.views >= reached:
            return True
        workers.check()
        time.sleep(0.01)
    return False
