"""Shared builders for the integration tests: journeys on a given URL, commands, submissions,
the raw stream, and fresh read stores over the same event store."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from domain import commands as c
from domain.values import Department, Money, OrderLine, Principal
from projections.batch import Batch, ReadStore
from projections.views import VIEWS, fold
from services.bootstrap import Journey, bootstrap
from services.clock import FixedClock
from services.journey import Submission
from services.settings import Settings

START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
BILLING = Principal(Department.BILLING, user="bea")
SUPPORT = Principal(Department.SUPPORT, user="sam")
SALES = Principal(Department.SALES, user="sol")
SHOP = "https://shop.example/orders"


def open_journey(database_url: str, clock: FixedClock | None = None, **settings: Any) -> Journey:
    """A journey on ``database_url`` with a FixedClock (START unless given)."""
    return bootstrap(Settings(database_url=database_url, **settings), clock or FixedClock(START))


def eur(amount: str | int) -> Money:
    return Money(Decimal(str(amount)), "EUR")


def lines(*groups: str) -> tuple[OrderLine, ...]:
    return tuple(
        OrderLine(sku=f"sku-{g}", product_group=g, quantity=2, unit_price=Decimal("10")) for g in groups
    ) or (OrderLine(sku="sku-books", product_group="books", quantity=2, unit_price=Decimal("10")),)


def customer_with_invoice(
    journey: Journey, customer: str = "c1", order: str = "o1", invoice: str = "i1",
    amount: str = "100", due: date = date(2024, 1, 15),
) -> list[int]:
    """Register a customer, place an order and invoice it; returns the three positions."""
    run = journey.service.execute
    return [
        run(c.RegisterCustomer(customer, f"Customer {customer}", f"{customer}@example.com"), SALES).position,
        run(c.PlaceOrder(customer, order, lines("books", "garden"), "EUR"), SALES).position,
        run(c.IssueInvoice(customer, invoice, order, eur(amount), due), BILLING).position,
    ]


def digest(command: object) -> str:
    """A content digest, as the CloudEvents edge would compute from the event's data."""
    return hashlib.sha256(repr(command).encode()).hexdigest()


def submission(event_id: str, command: object, source: str = SHOP, **changes: Any) -> Submission:
    sub = Submission(
        source=source, event_id=event_id, type=f"shop.{type(command).__name__}",
        digest=digest(command), command=command,  # type: ignore[arg-type]
    )
    return replace(sub, **changes) if changes else sub


def stream(journey: Journey, start: int = 0, page: int = 500) -> Iterator[tuple[Any, int]]:
    """Every stored event after ``start`` as ``(domain event, position)``, read in pages."""
    app = journey.service.app
    while True:
        notifications = app.recorder.select_notifications(start=start, limit=page, inclusive_of_start=False)
        if not notifications:
            return
        for n in notifications:
            yield app.mapper.to_domain_event(n), n.id
        start = notifications[-1].id


def event_names(journey: Journey, start: int = 0) -> list[str]:
    return [type(e).__qualname__ for e, _ in stream(journey, start)]


def fold_in_memory(journey: Journey) -> Batch:
    """The whole stream folded into an in-memory Batch: what the views must hold."""
    batch = Batch({})
    fold(batch, list(stream(journey)))
    return batch


def fresh_read_store(journey: Journey, name: str, directory: Path) -> ReadStore:
    """A new, empty read store of the same kind, over the same event store: SQLite in a file
    of its own in ``directory``, PostgreSQL in tables prefixed ``name`` in the same database.
    Close it with ``store.datastore.close()``."""
    location = journey.location
    env = dict(location.views_env)
    if not location.is_postgres:
        env["SQLITE_DBNAME"] = str(directory / f"{name}.views.sqlite")
    factory = InfrastructureFactory.construct(Environment(name, env))
    return factory.tracking_recorder(type(journey.store))  # type: ignore[return-value]


def dump(store: ReadStore, customers: list[str], app_name: str = "journey") -> dict[str, Any]:
    """Everything a read store holds, in a comparable shape: position, every document of every
    view, and each customer's journey entries."""
    everything = store.read(app_name, None, VIEWS)
    return {
        "position": everything.position,
        "docs": {(v, k): d for v, k, d in everything.docs},
        "entries": {cid: store.read(app_name, cid, ("journey",)).entries for cid in customers},
    }


def dump_batch(batch: Batch, customers: list[str]) -> dict[str, Any]:
    """The same shape as ``dump`` for an in-memory Batch (position left out)."""
    return {
        "docs": dict(batch.docs),
        "entries": {
            cid: [(p, e) for p, owner, e in batch.entries if owner == cid] for cid in customers
        },
    }

