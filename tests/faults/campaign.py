"""The fault campaign's parts: the one way to reach the API, clients that keep concurrent batches
in flight, a ledger of what was sent and acknowledged, and the checks on the store afterwards."""

from __future__ import annotations

import contextlib
import functools
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from services.projector import Projector
from tests.integration.helpers import dump, fresh_read_store, open_journey, stream
from tests.support.auth import keys_for
from tests.support.shop_events import customer

BATCH = {"Content-Type": "application/cloudevents-batch+json"}
WORKERS = 4  # client threads posting at the same time
CUSTOMERS_PER_BATCH = 2  # three CloudEvents each: a batch of six, stored whole or not at all
DEADLINE = 60.0  # seconds: "recovers at all", never a measure of speed


@functools.cache
def headers(database_url: str) -> dict[str, str]:
    """What every request of the campaign carries besides its body: the Authorization of an
    integrator key (bound to the test sources) on the store at ``database_url``, made once."""
    return keys_for(database_url, "integrator")["integrator"]


def api(base_url: str, database_url: str) -> httpx.Client:
    """The campaign's one HTTP client factory: every request it sends goes through a client made here."""
    return httpx.Client(base_url=base_url, headers=headers(database_url), timeout=DEADLINE)


def store_name(database_url: str) -> str:
    return "postgres" if database_url.startswith("postgres") else "sqlite"


def wait_for(condition: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    """Poll ``condition`` until it returns something truthy (returned), at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.01)
    return result


@dataclass(frozen=True)
class Sent:
    """One POST /events: when it left, when (and how) it was answered; status None: no answer."""

    batch: str
    sent: float
    answered: float
    status: int | None


@dataclass
class Ledger:
    """Every batch the clients made, every request they sent, and which batches were acknowledged.
    A batch left unanswered stays with its client, which sends it again before any new one."""

    batches: dict[str, list[str]] = field(default_factory=dict)  # batch -> its CloudEvent ids
    requests: list[Sent] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    pending: dict[int, str] = field(default_factory=dict)  # client -> its unanswered batch
    _numbers: Iterator[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, client: int, fresh: bool) -> tuple[str, list[dict], bool] | None:
        """The client's unanswered batch, else a new one when ``fresh`` (flagged new), else None."""
        with self._lock:
            key, new = self.pending.get(client), False
            if key is None:
                if not fresh:
                    return None
                key, new = f"b{next(self._numbers)}", True
                self.pending[client] = key
        events = [e for n in range(CUSTOMERS_PER_BATCH) for e in customer(f"{key}-{n}")]
        with self._lock:
            self.batches[key] = [e["id"] for e in events]
        return key, events, new

    def answered(self, client: int, sent: Sent) -> None:
        with self._lock:
            self.requests.append(sent)
            if sent.status is not None and 200 <= sent.status < 300:
                self.acknowledged.add(sent.batch)
                del self.pending[client]

    def acknowledged_events(self) -> set[str]:
        with self._lock:
            return {i for key in self.acknowledged for i in self.batches[key]}

    def more_acknowledged(self, count: int) -> Callable[[], bool]:
        """A condition for ``wait_for``: ``count`` more batches acknowledged than now."""
        target = len(self.acknowledged) + count
        return lambda: len(self.acknowledged) >= target

    def first_acknowledgement_after(self, moment: float) -> float | None:
        with self._lock:
            times = [s.answered for s in self.requests if s.status and 200 <= s.status < 300 and s.answered >= moment]
        return min(times, default=None)

    def server_errors(self, outages: list[tuple[float, float]]) -> tuple[int, int]:
        """5xx answers to requests that overlapped an outage window, and all the others."""
        with self._lock:
            errors = [s for s in self.requests if s.status and s.status >= 500]
        during = sum(1 for s in errors if any(s.sent <= end and s.answered >= begin for begin, end in outages))
        return during, len(errors) - during


def _publish(ledger: Ledger, client: int, http: httpx.Client, stop: threading.Event, fresh: int | None,
             lost: str) -> None:
    made = 0
    while not stop.is_set():
        taken = ledger.take(client, fresh is None or made < fresh)
        if taken is None:
            return
        key, events, new = taken
        made += new
        sent = time.monotonic()
        try:
            answer = http.post("/events", json=events, headers=BATCH)
        except httpx.HTTPError:
            ledger.answered(client, Sent(key, sent, time.monotonic(), None))
            if lost == "stop":  # the server is gone
                return
            stop.wait(0.05)
            continue
        ledger.answered(client, Sent(key, sent, time.monotonic(), answer.status_code))
        if answer.status_code >= 500:
            stop.wait(0.05)  # an eager client: the server bounds its own waits
        elif answer.status_code >= 300:
            raise AssertionError(f"batch {key} refused: {answer.status_code} {answer.text}")


@contextlib.contextmanager
def publishing(base_url: str, database_url: str, ledger: Ledger, *, fresh: int | None = None,
               lost: str = "stop") -> Iterator[list[Future[None]]]:
    """WORKERS clients posting batches to ``base_url`` until the block ends (or, with ``fresh``,
    after that many new batches each): each sends its unanswered batch again first. On a lost
    connection a client stops (``lost="stop"``: the server was killed) or tries again ("retry")."""
    stop = threading.Event()
    clients = [api(base_url, database_url) for _ in range(WORKERS)]
    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            workers = [pool.submit(_publish, ledger, n, http, stop, fresh, lost) for n, http in enumerate(clients)]
            try:
                yield workers
            finally:
                stop.set()
            for worker in workers:
                worker.result(timeout=2 * DEADLINE)  # a client's failure fails the campaign
    finally:
        for http in clients:
            http.close()


def wait_until_caught_up(base_url: str, database_url: str) -> None:
    """Until the server is ready and its views reflect the stream's head."""
    with api(base_url, database_url) as http:
        def caught_up() -> bool:
            answer = http.get("/health/ready")
            return answer.status_code == 200 and answer.json()["lag"] == 0

        wait_for(caught_up, "the views caught up with the stream")


def restart_watched(server_url: str, restart: Callable[[], None]) -> float:
    """Restart PostgreSQL; return the moment it accepted connections again, as a client polling
    every 10 ms saw it (or when the restart returned, if the client never saw it down)."""
    seen: dict[str, float] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set() or "down" in seen:
            try:
                psycopg.connect(server_url, connect_timeout=1).close()
            except psycopg.Error:
                seen.setdefault("down", time.monotonic())
            else:
                if "down" in seen:
                    seen["up"] = time.monotonic()
                    return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    restart()
    returned = time.monotonic()
    done.set()
    watcher.join(timeout=DEADLINE)
    return seen.get("up", returned)


@dataclass
class StoreScan:
    """How often each CloudEvent id is stored, read from the stream (the shop is the only source)."""

    database_url: str
    counts: Counter[str] = field(default_factory=Counter)
    position: int = 0

    def update(self) -> Counter[str]:
        journey = open_journey(self.database_url)
        try:
            for domain_event, position in stream(journey, self.position):
                assert domain_event.by.source == "shop", domain_event.by
                self.counts[domain_event.by.event_id] += 1
                self.position = position
        finally:
            journey.close()
        return self.counts

    def stored(self, ids: list[str]) -> int:
        return sum(1 for i in ids if self.counts[i])


@dataclass
class Findings:
    """What the store holds after a campaign, against what the clients were told."""

    events_stored: int
    events_lost: list[str]
    events_doubled: list[str]
    partial_batches: list[str]
    views_equal_rebuild: bool
    views_at_head: bool


def verify(scan: StoreScan, ledger: Ledger, partial_before: list[str], directory: Path) -> Findings:
    """Check the stored stream against the ledger, and the server's views against a rebuild from
    the stream (the server was stopped after its views had caught up)."""
    counts = scan.update()
    partial = set(partial_before) | {
        key for key, ids in ledger.batches.items() if scan.stored(ids) not in (0, len(ids))
    }
    journey = open_journey(scan.database_url)
    rebuilt = fresh_read_store(journey, "rebuilt", directory)
    try:
        Projector(journey.service.app, rebuilt).catch_up()
        customers = sorted({i.rsplit("-", 1)[0] for i in counts})  # ids are <customer>-<n>
        views_equal = dump(journey.store, customers) == dump(rebuilt, customers)
        at_head = journey.reads.position() == journey.service.head()
    finally:
        rebuilt.close()
        journey.close()
    return Findings(
        events_stored=sum(counts.values()),
        events_lost=sorted(i for i in ledger.acknowledged_events() if counts[i] == 0),
        events_doubled=sorted(i for i, n in counts.items() if n > 1),
        partial_batches=sorted(partial),
        views_equal_rebuild=views_equal,
        views_at_head=at_head,
    )
