"""Shared builders for the integration tests: journeys on a given URL, commands, submissions,
the raw stream, and fresh read stores over the same event store."""

from __future__ import annotations

import contextlib
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
from domain.errors import DomainError
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
    Close it with ``store.close()``."""
    location = journey.location
    env = dict(location.views_env)
    if not location.is_postgres:
        env["SQLITE_DBNAME"] = str(directory / f"{name}.views.sqlite")
    factory = InfrastructureFactory.construct(Environment(name, env))
    store = factory.tracking_recorder(type(journey.store))
    if location.is_postgres:
        # Let the pool's threads open its connections now, not later during a test's (say
        # hypothesis's) own work: they jitter expiry dates with the global random module.
        store.datastore.pool.wait()  # type: ignore[attr-defined]
    return store  # type: ignore[return-value]


def dump(store: ReadStore, customers: list[str], app_name: str = "journey") -> dict[str, Any]:
    """Everything a read store holds, in a comparable shape: position, every document of every
    view, and each customer's journey entries."""
    everything = store.read(app_name, None, VIEWS)
    return {
        "position": everything.position,
        "docs": {(v, k): d for v, k, d in everything.docs},
        "entries": {cid: store.read(app_name, cid, ("journey",), entries=True).entries for cid in customers},
    }


def dump_batch(batch: Batch, customers: list[str]) -> dict[str, Any]:
    """The same shape as ``dump`` for an in-memory Batch (position left out)."""
    return {
        "docs": dict(batch.docs),
        "entries": {
            cid: [(p, e) for p, owner, e in batch.entries if owner == cid] for cid in customers
        },
    }


def eventful_history(journey: Journey, clock: FixedClock) -> dict[str, list[str]]:
    """A history of two customers touching every view: detailed-invoice requests, deferrals, a
    dispute, complaints, payments, refused and allowed dunning, over three months (~50 events).
    Returns each customer's order and invoice ids."""
    run, service = journey.service.execute, journey.service

    def dun(invoice: str) -> None:
        with contextlib.suppress(DomainError):
            run(c.DunInvoice(invoice), BILLING)

    # 1. Two customers with orders and invoices (c2's arrive from the shop as one batch).
    customer_with_invoice(journey, "c1", "o1", "i1", "100", date(2024, 1, 15))
    run(c.PlaceOrder("c1", "o2", lines("toys"), "EUR"), SALES)
    run(c.IssueInvoice("c1", "i2", "o2", eur(50), date(2024, 1, 10)), BILLING)
    service.ingest([
        submission("s-1", c.RegisterCustomer("c2", "Bob", "bob@example.com")),
        submission("s-2", c.PlaceOrder("c2", "o3", lines("garden"), "EUR")),
        submission("s-3", c.IssueInvoice("c2", "i3", "o3", eur(80), date(2024, 1, 20))),
        submission("s-4", c.PlaceOrder("c2", "o4", lines("books", "toys"), "EUR")),
        submission("s-5", c.IssueInvoice("c2", "i4", "o4", eur(40), date(2024, 1, 20))),
        submission("s-6", c.ShipOrder("c2", "o3")),
        submission("s-7", c.DeliverOrder("c2", "o3")),
    ])
    # 2. Support makes promises; the shop reports a partial payment.
    run(c.RequestDetailedInvoice("c1", "i1", "itemise the garden tools"), SUPPORT)
    run(c.GrantDeferral("c1", "i2", date(2024, 2, 10), "waiting for salary"), SUPPORT)
    run(c.FileComplaint("c2", "k1", "o3", "garden", "the hose leaks"), SUPPORT)
    run(c.AnswerComplaint("c2", "k1", "a replacement is on its way"), SUPPORT)
    run(c.ChangeContactDetails("c1", phone="+49 30 1234"), SALES)
    service.ingest([submission("s-8", c.ReceivePayment("c1", "i1", eur(30)))])
    # 3. Overdue: holds refuse dunning; a corrected invoice lifts the first hold.
    clock.set(datetime(2024, 1, 25, 9, tzinfo=UTC))
    for invoice in ("i1", "i2", "i3", "i4"):
        dun(invoice)
    run(c.IssueCorrectedInvoice("c1", "i1", eur(90), None, "itemised"), BILLING)
    dun("i1")
    run(c.OpenDispute("c1", "i1", "the garden tools were never delivered"), SUPPORT)
    # 4. Later: the deferral expired, the dispute and the complaint are resolved.
    clock.set(datetime(2024, 2, 15, 9, tzinfo=UTC))
    for invoice in ("i1", "i2", "i3", "i4"):
        dun(invoice)
    run(c.ResolveDispute("c1", "i1", "delivered late"), SUPPORT)
    run(c.ResolveComplaint("c2", "k1", "replaced"), SUPPORT)
    run(c.FileComplaint("c1", "k2", "o2", "toys", "wrong colour"), SUPPORT)
    for invoice in ("i1", "i2", "i3"):
        dun(invoice)
    service.ingest([
        submission("s-9", c.ReceivePayment("c2", "i3", eur(80))),
        submission("s-10", c.ReceivePayment("c2", "i4", eur(15))),
    ])
    run(c.CancelOrder("c1", "o2", "changed mind"), SALES)
    # 5. The rest of i4 stays unpaid: final notice, then collection once the interval passed.
    run(c.ShipOrder("c1", "o1"), SALES)
    clock.set(datetime(2024, 3, 20, 9, tzinfo=UTC))
    dun("i4")
    with contextlib.suppress(DomainError):
        run(c.HandToCollection("i4"), BILLING)  # refused: the final notice was sent today
    clock.set(datetime(2024, 4, 5, 9, tzinfo=UTC))
    run(c.HandToCollection("i4"), BILLING)
    run(c.DeliverOrder("c1", "o1"), SALES)
    return {"c1": ["o1", "o2", "i1", "i2"], "c2": ["o3", "o4", "i3", "i4"]}


def hide_table(journey: Journey, attribute: str, away: bool) -> None:
    """Take the read store's table named by ``attribute`` (``docs``, ``tracking``) away, or bring
    it back: a fault the projector or the readiness check must survive."""
    store: Any = journey.store
    table = getattr(store, attribute).split(".")[-1].strip('"')
    old, new = (table, f"{table}_away") if away else (f"{table}_away", table)
    with store.datastore.transaction(commit=True) as cursor:
        cursor.execute(f'ALTER TABLE "{old}" RENAME TO "{new}"')
