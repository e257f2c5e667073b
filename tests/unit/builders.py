"""Test data builders shared by the unit tests: fixed times, principals and aggregates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from domain.complaint import Complaint
from domain.customer import Customer
from domain.holds import DunningPolicy
from domain.invoice import Invoice
from domain.order import Order
from domain.values import Department, Money, OrderLine, Principal
from projections.batch import Batch, Snapshot
from projections.views import fold

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
TODAY = AT.date()
DUE = date(2026, 3, 15)

BOB = Principal(Department.BILLING, "bob")
SUE = Principal(Department.SUPPORT, "sue")
SHOP = Principal(Department.INTEGRATOR, source="shop")

KETTLE = OrderLine("KET-1", "kitchen", 2, Decimal("25.00"))
HOSE = OrderLine("HOS-9", "garden", 1, Decimal("50.00"))


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def on(day: date) -> datetime:
    """The same fixed time of day as AT, on ``day``."""
    return datetime.combine(day, time(9, 30), UTC)


def days_after(day: date, n: int) -> date:
    return day + timedelta(days=n)


def names(events: Iterable[Any]) -> list[str]:
    return [type(e).__qualname__ for e in events]


def register_customer(customer_id: str = "C-1", at: datetime = AT) -> Customer:
    return Customer(
        customer_id=customer_id, name="Ada Lovelace", email="ada@example.org",
        birthday=date(1990, 12, 10), phone=None, address=None, at=at, by=SHOP,
    )


def place_order(
    order_id: str = "O-1", customer_id: str = "C-1", lines: list[OrderLine] | None = None,
    currency: str = "EUR", at: datetime = AT,
) -> Order:
    return Order.place(
        customer_id=customer_id, order_id=order_id, lines=lines or [KETTLE, HOSE],
        currency=currency, at=at, by=SHOP,
    )


def issue_invoice(
    invoice_id: str = "I-1", order_id: str = "O-1", customer_id: str = "C-1",
    amount: Money | None = None, due_date: date = DUE, at: datetime = AT,
) -> Invoice:
    return Invoice.issue(
        customer_id=customer_id, invoice_id=invoice_id, order_id=order_id,
        amount=amount or eur("100.00"), due_date=due_date, at=at, by=BOB,
    )


def file_complaint(
    complaint_id: str = "K-1", order_id: str = "O-1", customer_id: str = "C-1",
    product_group: str = "kitchen", at: datetime = AT,
) -> Complaint:
    return Complaint(
        customer_id=customer_id, complaint_id=complaint_id, order_id=order_id,
        product_group=product_group, text="the kettle leaks", at=at, by=SUE,
    )


def round_trip(aggregate: Any) -> tuple[Any, list[Any], list[Any]]:
    """Store ``aggregate``'s pending events in an in-memory journey application (with the
    project's transcodings) and read it back: (reconstructed, events sent, events read)."""
    from services.journey import JourneyApplication

    app = JourneyApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    sent = aggregate.collect_events()
    app.save(*sent)
    return app.repository.get(aggregate.id), sent, list(app.events.get(aggregate.id))


class Stream:
    """Events of real aggregates, in the order they were recorded, at positions 1, 2, 3..."""

    def __init__(self) -> None:
        self.positioned: list[tuple[Any, int]] = []

    def record(self, *aggregates: Any) -> None:
        for aggregate in aggregates:
            for event in aggregate.collect_events():
                self.positioned.append((event, len(self.positioned) + 1))

    @property
    def head(self) -> int:
        return len(self.positioned)

    def fold(self) -> Batch:
        batch = Batch({})
        fold(batch, self.positioned)
        return batch

    def snapshot(self, customer_id: str | None = None) -> Snapshot:
        """What a read at the head of the stream sees: the documents of ``customer_id`` (of every
        customer when None) and the customer's journey entries."""
        batch = self.fold()
        docs = [
            (view, key, doc)
            for (view, key), doc in sorted(batch.docs.items())
            if customer_id is None or doc["customer_id"] == customer_id
        ]
        entries = [(p, e) for p, c, e in batch.entries if c == customer_id]
        return Snapshot(self.head, docs, entries)


def dun(invoice: Invoice, day: date, open_complaints: tuple[str, ...] = ()) -> int:
    """Reach the invoice's next dunning level on ``day`` as billing, under the default policy."""
    return invoice.reach_next_dunning_level(
        open_complaints=list(open_complaints), policy=DunningPolicy(), at=on(day), by=BOB
    )


def refusal_codes(excinfo: Any) -> list[str]:
    """The codes of a DunningRefusedError's refusals, in order."""
    return [r.code for r in excinfo.value.refusals]
