"""The hostile-input campaign: the API on a real store with keys of every role, what it tried,
and the figures it publishes.

``JOURNEY_HOSTILE_EXAMPLES`` (default 10) is how many examples each OpenAPI operation and each
property tries; ``make test`` runs the default, a longer campaign raises it. At the end of the
session the counts are written to ``var/reliability/hostile.json``: requests sent per kind, 5xx
seen, refused requests (4xx) and refused requests after which anything was stored (both of the
last must stay 0, and the tests fail when they are not).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings

from services.api.app import create_app
from services.bootstrap import Journey, bootstrap
from services.clock import FixedClock
from services.settings import Settings
from tests.support.auth import KeyedClient, keyed
from tests.support.conformance import conforming
from tests.support.sizes import env_count

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "var" / "reliability" / "hostile.json"
#: Examples per OpenAPI operation and per property; raise it for a longer campaign.
EXAMPLES = env_count("JOURNEY_HOSTILE_EXAMPLES", 10)
#: The business clock of every campaign store: 09:00 on 2 March 2026.
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def hostile_settings(examples: int) -> settings:
    """Hypothesis settings of the campaign: derandomized (the same examples on every run), no
    deadline, no example database (nothing replayed from an earlier run)."""
    return settings(
        max_examples=examples, derandomize=True, deadline=None, database=None, print_blob=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def campaign_settings(database_url: str) -> Settings:
    """The API's settings for the campaign: no throttling (the campaign is one busy caller)."""
    return Settings(database_url=database_url, max_body_bytes=256 * 1024, read_wait_seconds=5,
                    rate_limit_per_second=10_000, rate_limit_burst=10_000)


# What was tried ---------------------------------------------------------------------------------


@dataclass
class Kind:
    """The counts of one kind of hostile request."""

    requests: int = 0
    accepted: int = 0
    refused: int = 0
    server_errors: int = 0
    stored_from_refused: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class Tally:
    """Counts every request the campaign sends, by kind."""

    def __init__(self) -> None:
        self.kinds: dict[str, Kind] = {}

    def record(self, kind: str, status: int, stored: bool = False) -> None:
        """One answer of ``status``; ``stored``: the store changed while it was answered."""
        counts = self.kinds.setdefault(kind, Kind())
        counts.requests += 1
        counts.statuses[str(status)] = counts.statuses.get(str(status), 0) + 1
        if status >= 500:
            counts.server_errors += 1
        elif status >= 400:
            counts.refused += 1
            counts.stored_from_refused += int(stored)
        else:
            counts.accepted += 1

    @contextmanager
    def timed(self, kind: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.kinds.setdefault(kind, Kind()).seconds += time.perf_counter() - started

    def figures(self) -> dict[str, Any]:
        kinds = {name: {**vars(k), "statuses": dict(sorted(k.statuses.items())), "seconds": round(k.seconds, 1)}
                 for name, k in sorted(self.kinds.items())}
        total = {key: sum(k[key] for k in kinds.values())
                 for key in ("requests", "accepted", "refused", "server_errors", "stored_from_refused")}
        return {"examples_per_property": EXAMPLES, "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "total": total, "kinds": kinds}


@pytest.fixture(scope="session")
def tally() -> Iterator[Tally]:
    """The session's counts, written to var/reliability/hostile.json when the session ends."""
    counts = Tally()
    yield counts
    if counts.kinds:
        FIGURES.parent.mkdir(parents=True, exist_ok=True)
        FIGURES.write_text(json.dumps(counts.figures(), indent=2) + "\n")


@dataclass(frozen=True)
class Marks:
    """What writes leave behind: the stream's head, its number of events and of idempotency keys."""

    head: int
    events: int
    keys: int


def marks(journey: Journey) -> Marks:
    recorder = journey.service.app.recorder
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT COUNT(*) AS n FROM {recorder._events_table()}")
        events = cursor.fetchone()["n"]
        cursor.execute(f"SELECT COUNT(*) AS n FROM {recorder.keys_table}")
        keys = cursor.fetchone()["n"]
    return Marks(journey.service.head(), events, keys)


@dataclass(frozen=True)
class Sent:
    """One answer and the store's marks before and after it."""

    response: Any
    before: Marks
    after: Marks

    @property
    def status(self) -> int:
        return int(self.response.status_code)


def sent(tally: Tally, kind: str, journey: Journey, call: Callable[[], Any]) -> Sent:
    """Send with ``call``, count the answer, and check the campaign's two promises: never a
    5xx, and nothing stored by a refused request."""
    before = marks(journey)
    response = call()
    after = marks(journey)
    status = int(response.status_code)
    tally.record(kind, status, stored=after != before)
    assert status < 500, f"{kind}: {status} {response.text[:500]}"
    if status >= 400:
        assert after == before, f"{kind}: a refused request ({status}) stored something: {before} -> {after}"
    return Sent(response, before, after)


# The API on a real store ------------------------------------------------------------------------


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def client(database_url: str, clock: FixedClock) -> Iterator[KeyedClient]:
    """The API, projecting in-process, on a fresh SQLite or PostgreSQL store, not throttled;
    every answer is checked against the app's OpenAPI document (tests/support/conformance.py)."""
    journey = bootstrap(campaign_settings(database_url), clock)
    with conforming(keyed(create_app(journey=journey), journey.credentials)) as test_client:
        yield test_client
    journey.close()


#: The ids of the story every campaign store starts with.
KNOWN = {"customer_id": "c1", "order_id": "O1", "invoice_id": "I1", "complaint_id": "K1", "number": "1", "raffle_id": "R-1"}


def tell_story(client: httpx.Client | Any, integrator: dict[str, str], support: dict[str, str]) -> int:
    """c1 with order O1, an overdue invoice I1 paid in part, an open complaint K1 and a payment
    deferral (promise 1 on I1); returns the head."""
    def event(type_: str, data: dict[str, Any], id_: str) -> dict[str, Any]:
        return {"specversion": "1.0", "id": id_, "source": "shop", "type": type_, "subject": "c1", "data": data}

    batch = [
        event("customer.registered", {"name": "Ann Example", "email": "ann@example.org"}, "story-1"),
        event("order.placed", {"order_id": "O1", "currency": "EUR", "lines": [
            {"sku": "DRILL", "product_group": "tools", "quantity": 1, "unit_price": "100.00"}]}, "story-2"),
        event("invoice.issued", {"invoice_id": "I1", "order_id": "O1", "amount": "100.00", "currency": "EUR",
                                 "due_date": "2026-02-01"}, "story-3"),
        event("payment.received", {"invoice_id": "I1", "amount": "30.00", "currency": "EUR"}, "story-4"),
        event("complaint.filed", {"complaint_id": "K1", "order_id": "O1", "product_group": "tools",
                                  "text": "the drill smokes"}, "story-5"),
    ]
    stored = client.post("/events", json=batch,
                         headers={**integrator, "Content-Type": "application/cloudevents-batch+json"})
    assert stored.status_code == 202, stored.text
    promised = client.post("/invoices/I1/deferrals", json={"until": "2026-03-20", "reason": "promised"},
                           headers=support)
    assert promised.status_code == 201, promised.text
    return int(promised.json()["position"])
