"""The HTTP cases, each against a running ``journey serve`` and bounded in count and time:
batch ingest, single events from concurrent clients, write-to-visible latency at a steady
rate, and a burst followed by the views catching up.

Request bodies are encoded before the clock starts; clients are threads with one keep-alive
``httpx.Client`` each. Answers other than 2xx are counted by status, never retried as writes.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.http_server import Server, client, cpu_seconds
from bench.touchpoints import BATCH, STRUCTURED, batch_bodies, single_bodies

JOIN_SLACK = 60.0  # seconds a client thread may overrun its case's bound (one request timeout)


@dataclass
class HttpResult:
    """One HTTP case on one store: how many, how long, and where the CPU went meanwhile."""

    case: str
    store: str
    count: int  # touchpoints (or writes) acknowledged
    seconds: float
    errors: Counter[str] = field(default_factory=Counter)
    cpu: dict[str, float] = field(default_factory=dict)  # server / postgres / client: share of one core
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


class CpuMeter:
    """CPU seconds of the server, of PostgreSQL's backends (our own cluster) and of this
    process over a case, as shares of one core."""

    def __init__(self, server: Server, postmaster: int | None) -> None:
        self.server, self.postmaster = server, postmaster

    def _now(self) -> dict[str, float | None]:
        return {"server": self.server.cpu_seconds(), "postgres": cpu_seconds(self.postmaster, children_of=True),
                "client": time.process_time()}

    def __enter__(self) -> CpuMeter:
        self.start, self.began = self._now(), time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        end, wall = self._now(), time.perf_counter() - self.began
        self.shares = {k: (end[k] - v) / wall for k, v in self.start.items()
                       if v is not None and end[k] is not None and wall > 0}


def _status(response: httpx.Response) -> str | None:
    return None if response.is_success else str(response.status_code)


def _run_clients(bodies: Sequence[Any], work: Callable[[int, Any, httpx.Client], None],
                 server: Server, bound: float) -> float:
    """Run ``work(index, bodies[index], client)`` in one thread per entry, started together;
    return the seconds from the common start to the last thread's end."""
    barrier = threading.Barrier(len(bodies) + 1)
    ends: list[float] = []
    failures: list[BaseException] = []

    def thread(index: int) -> None:
        with client(server.base_url) as http:
            barrier.wait(timeout=30)
            try:
                work(index, bodies[index], http)
            except Exception as error:  # noqa: BLE001 - raised again in the caller's thread
                failures.append(error)
            finally:
                ends.append(time.perf_counter())

    threads = [threading.Thread(target=thread, args=(i,), daemon=True) for i in range(len(bodies))]
    for t in threads:
        t.start()
    barrier.wait(timeout=30)
    started = time.perf_counter()
    for t in threads:
        t.join(timeout=max(0.0, started + bound + JOIN_SLACK - time.perf_counter()))
    if any(t.is_alive() for t in threads):
        raise RuntimeError("a client thread did not finish within its bound")
    if failures:
        raise RuntimeError(f"{len(failures)} client(s) failed, first: {failures[0]!r}") from failures[0]
    return max(ends) - started


def _post_batches(server: Server, bodies: list[list[tuple[int, bytes]]], bound: float,
                  errors: Counter[str], last_positions: list[int]) -> tuple[int, float]:
    """Each client posts its batches in order; returns (touchpoints acknowledged, seconds)."""
    acked = [0] * len(bodies)

    def work(index: int, batches: list[tuple[int, bytes]], http: httpx.Client) -> None:
        deadline = time.perf_counter() + bound
        for count, body in batches:
            if time.perf_counter() > deadline:
                errors["not sent: time bound"] += count  # bounded: the rest is counted, not sent
                continue
            response = http.post("/events", content=body, headers={"Content-Type": BATCH})
            if (failed := _status(response)) is not None:
                errors[failed] += count
                continue
            answer = response.json()
            acked[index] += len(answer["positions"])
            last_positions.append(int(answer["position"]))

    seconds = _run_clients(bodies, work, server, bound)
    return sum(acked), seconds


def batch_ingest(server: Server, meter: CpuMeter, store: str, *, touchpoints: int, batch: int,
                 clients: int, seed: int, bound: float) -> HttpResult:
    """POST /events in batched mode, ``batch`` touchpoints a request, ``clients`` at a time."""
    bodies = [batch_bodies(seed, "batch", touchpoints // clients, batch, client=k, clients=clients)
              for k in range(clients)]
    errors: Counter[str] = Counter()
    with meter:
        count, seconds = _post_batches(server, bodies, bound, errors, [])
    return HttpResult(f"batch ingest: {batch} per request, {clients} client(s)", store, count, seconds,
                      errors, meter.shares, {"touchpoints": touchpoints})


def single_events(server: Server, meter: CpuMeter, store: str, *, clients: int, seconds: float,
                  most: int, seed: int) -> HttpResult:
    """One CloudEvent per request from ``clients`` threads for ``seconds`` (at most ``most``)."""
    bodies = [single_bodies(seed, "single", most // clients, client=k, clients=clients) for k in range(clients)]
    acked = [0] * clients
    errors: Counter[str] = Counter()

    def work(index: int, events: list[tuple[str, bytes]], http: httpx.Client) -> None:
        deadline = time.perf_counter() + seconds
        for _, body in events:
            if time.perf_counter() > deadline:
                return
            response = http.post("/events", content=body, headers={"Content-Type": STRUCTURED})
            if (failed := _status(response)) is not None:
                errors[failed] += 1
            else:
                acked[index] += 1

    with meter:
        elapsed = _run_clients(bodies, work, server, seconds)
    return HttpResult(f"single events: 1 per request, {clients} clients", store, sum(acked), elapsed,
                      errors, meter.shares)


def empty_requests(server: Server, meter: CpuMeter, store: str, *, clients: int, seconds: float) -> HttpResult:
    """The ceiling of this machine, server and client: ``clients`` threads asking
    ``GET /health/live`` (no database, no body) for ``seconds``. No write case can be faster."""
    done = [0] * clients
    errors: Counter[str] = Counter()

    def work(index: int, _: object, http: httpx.Client) -> None:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline and done[index] < 1_000_000:
            if (failed := _status(http.get("/health/live"))) is not None:
                errors[failed] += 1
            else:
                done[index] += 1

    with meter:
        elapsed = _run_clients([None] * clients, work, server, seconds)
    return HttpResult(f"ceiling: empty GET /health/live, {clients} clients", store, sum(done), elapsed,
                      errors, meter.shares)


def percentile(samples: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (``share`` in 0..1) of ``samples``; None when there are none."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def write_to_visible(server: Server, meter: CpuMeter, store: str, *, rate: float, seconds: float,
                     clients: int, seed: int, read_bound: float = 30.0) -> HttpResult:
    """Writes at a steady ``rate`` for ``seconds`` (``clients`` paced threads, each its own
    customers, each writing every ``clients / rate`` seconds); after each write, GET the
    customer's journey with ``?min_position`` of the write, asked again on 503 until
    ``read_bound``. Latency: write start to the answer that shows the write. A client whose
    write and read take longer than its interval falls behind its slots (reported as late)."""
    per_client = math.ceil(rate * seconds / clients)
    bodies = [single_bodies(seed, "latency", per_client, client=k, clients=clients) for k in range(clients)]
    visible: list[float] = []
    written: list[float] = []
    late: list[float] = []
    errors: Counter[str] = Counter()
    interval = clients / rate

    def work(index: int, events: list[tuple[str, bytes]], http: httpx.Client) -> None:
        first = time.perf_counter() + index / rate  # the clients' slots interleave evenly
        deadline = first + seconds + 1.0  # a client behind its slots stops at the window's end
        for n, (subject, body) in enumerate(events):
            due = first + n * interval
            if (wait := due - time.perf_counter()) > 0:
                time.sleep(wait)
            start = time.perf_counter()
            if start > deadline:
                errors["not sent: behind schedule"] += len(events) - n
                return
            late.append(start - due)
            response = http.post("/events", content=body, headers={"Content-Type": STRUCTURED})
            if (failed := _status(response)) is not None:
                errors[f"write {failed}"] += 1
                continue
            written.append(time.perf_counter() - start)
            url = f"/customers/{subject}/journey"
            params = {"min_position": response.json()["position"]}
            while True:
                answer = http.get(url, params=params)
                if answer.status_code != 503 or time.perf_counter() - start > read_bound:
                    break
                errors["read 503 (retried)"] += 1
            if (failed := _status(answer)) is not None:
                errors[f"read {failed}"] += 1
                continue
            visible.append(time.perf_counter() - start)

    with meter:
        elapsed = _run_clients(bodies, work, server, seconds + 1.0 + read_bound)
    extra = {
        "p50_ms": _ms(percentile(visible, 0.50)), "p99_ms": _ms(percentile(visible, 0.99)),
        "write_p50_ms": _ms(percentile(written, 0.50)), "write_p99_ms": _ms(percentile(written, 0.99)),
        "late_p99_ms": _ms(percentile(late, 0.99)), "target_rate": rate,
    }
    return HttpResult(f"write-to-visible at {rate:,.0f} writes/s, {clients} paced clients", store,
                      len(visible), elapsed, errors, meter.shares, extra)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def burst(server: Server, meter: CpuMeter, store: str, *, touchpoints: int, batch: int, clients: int,
          seed: int, bound: float, catch_up_bound: float) -> HttpResult:
    """Post ``touchpoints`` in batches as fast as ``clients`` can; at the last acknowledgement
    read the lag (head - view position), then poll until the views reach the last written
    position, for at most ``catch_up_bound`` seconds."""
    bodies = [batch_bodies(seed, "burst", touchpoints // clients, batch, client=k, clients=clients)
              for k in range(clients)]
    errors: Counter[str] = Counter()
    positions: list[int] = []
    with meter:
        count, seconds = _post_batches(server, bodies, bound, errors, positions)
    acked_at = time.perf_counter()
    at_ack = server.health()
    target = max(positions, default=at_ack.head)
    caught_up: float | None = None
    now = at_ack
    deadline = acked_at + catch_up_bound
    while time.perf_counter() < deadline:
        if now.position >= target:
            caught_up = time.perf_counter() - acked_at if now is not at_ack else 0.0
            break
        time.sleep(0.02)
        with contextlib.suppress(httpx.HTTPError):  # a slow answer is not the end of the wait
            now = server.health()
    drained = (now.position - at_ack.position) / (time.perf_counter() - acked_at) if caught_up != 0.0 else None
    extra = {"lag_at_ack": at_ack.lag, "head_at_ack": at_ack.head, "caught_up_s": caught_up,
             "lag_left": None if caught_up is not None else max(0, target - now.position),
             "drain_rate": drained, "catch_up_bound": catch_up_bound}
    return HttpResult(f"burst: {touchpoints:,} touchpoints, {batch} per request, {clients} client(s)", store,
                      count, seconds, errors, meter.shares, extra)
