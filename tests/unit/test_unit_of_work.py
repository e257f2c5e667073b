"""Command handlers in a unit of work over an in-memory journey application."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain import commands as c
from domain.complaint import Complaint
from domain.customer import Customer
from domain.errors import (
    AlreadyExistsError,
    CurrencyMismatchError,
    DomainError,
    DunningRefusedError,
    UnknownError,
    WrongCustomerError,
)
from domain.holds import DunningPolicy
from domain.order import Order
from domain.values import Money
from services.handlers import Context, handle
from services.journey import JourneyApplication
from services.unit_of_work import UnitOfWork
from tests.unit.builders import AT, BOB, HOSE, KETTLE, SHOP, SUE, eur, names, on


class Links:
    """The links kept beside the stream, in memory (the SQL tables are tested in integration)."""

    def __init__(self) -> None:
        self.saved: list = []

    def members(self, relation: str, owner: str) -> list[str]:
        return sorted(ln.member for ln in self.saved if (ln.relation, ln.owner) == (relation, owner))


class Journey:
    """Carries out commands as the service does: one unit of work each, saved when it succeeds."""

    def __init__(self) -> None:
        self.app = JourneyApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self.links = Links()

    def unit(self) -> UnitOfWork:
        return UnitOfWork(self.app, self.links)

    def do(self, command, by=SHOP, at=AT):
        uow = self.unit()
        events = handle(command, uow, Context(at, by, DunningPolicy()))
        self.save(uow)
        return events

    def save(self, uow: UnitOfWork) -> None:
        if uow.events:
            self.app.save(*uow.events)
            self.links.saved += uow.links

    def stored(self) -> list[str]:
        """The event types in the stream, oldest first."""
        notifications = self.app.recorder.select_notifications(start=1, limit=1000)
        return [n.topic.rsplit(":", 1)[1] for n in notifications]


@pytest.fixture
def journey() -> Journey:
    """Customer C-1 with order O-1 (EUR) and invoice I-1 of 100.00 due on 2026-03-15."""
    journey = Journey()
    journey.do(c.RegisterCustomer("C-1", "Ada", "ada@example.org"))
    journey.do(c.PlaceOrder("C-1", "O-1", (KETTLE, HOSE), "EUR"))
    journey.do(c.IssueInvoice("C-1", "I-1", "O-1", eur("100.00"), date(2026, 3, 15)), by=BOB)
    return journey


def test_a_command_on_an_unknown_invoice_is_refused(journey):
    with pytest.raises(UnknownError) as excinfo:
        journey.do(c.ReceivePayment("C-1", "I-404", eur("1.00")))

    assert excinfo.value.code == "unknown-invoice"
    assert (excinfo.value.kind, excinfo.value.natural_id) == ("invoice", "I-404")


def test_dunning_an_unknown_invoice_is_refused(journey):
    with pytest.raises(UnknownError) as excinfo:
        journey.do(c.DunInvoice("I-404"), by=BOB)

    assert excinfo.value.code == "unknown-invoice"


def test_an_order_for_an_unknown_customer_is_refused():
    journey = Journey()

    with pytest.raises(UnknownError) as excinfo:
        journey.do(c.PlaceOrder("C-404", "O-1", (KETTLE,), "EUR"))

    assert excinfo.value.code == "unknown-customer"
    assert journey.stored() == []


def test_a_customer_is_registered_only_once(journey):
    with pytest.raises(AlreadyExistsError) as excinfo:
        journey.do(c.RegisterCustomer("C-1", "Ada again", "other@example.org"))

    assert excinfo.value.code == "customer-exists"
    assert journey.stored().count("Customer.Registered") == 1


def test_an_invoice_id_is_issued_only_once(journey):
    with pytest.raises(AlreadyExistsError) as excinfo:
        journey.do(c.IssueInvoice("C-1", "I-1", "O-1", eur("5.00"), date(2026, 4, 1)), by=BOB)

    assert excinfo.value.code == "invoice-exists"


def test_an_order_of_another_customer_is_refused(journey):
    journey.do(c.RegisterCustomer("C-2", "Bo", "bo@example.org"))

    with pytest.raises(WrongCustomerError, match="order 'O-1' belongs to another customer"):
        journey.do(c.ShipOrder("C-2", "O-1"))
    with pytest.raises(WrongCustomerError):
        journey.do(c.IssueInvoice("C-2", "I-2", "O-1", eur("5.00"), date(2026, 4, 1)), by=BOB)
    with pytest.raises(WrongCustomerError):
        journey.do(c.FileComplaint("C-2", "K-1", "O-1", "kitchen", "leaks"), by=SUE)

    assert "Order.Shipped" not in journey.stored()
    assert "Complaint.Filed" not in journey.stored()


def test_an_invoice_of_another_customer_is_refused(journey):
    with pytest.raises(WrongCustomerError, match="invoice 'I-1'"):
        journey.do(c.ReceivePayment("C-2", "I-1", eur("1.00")))


def test_filing_a_complaint_records_one_touchpoint_and_links_it_to_the_order_and_the_customer(journey):
    uow = journey.unit()
    events = handle(c.FileComplaint("C-1", "K-1", "O-1", "kitchen", "the kettle leaks"), uow, Context(AT, SUE, DunningPolicy()))

    assert names(events) == ["Complaint.Filed"]
    assert events[0].by == SUE and events[0].at == AT
    assert [(ln.relation, ln.owner, ln.member) for ln in uow.links] == [
        ("order-complaint", "O-1", "K-1"), ("customer-complaint", "C-1", "K-1")]
    assert uow.members("order-complaint", "O-1") == ["K-1"]


def test_resolving_a_complaint_records_only_the_resolution(journey):
    journey.do(c.FileComplaint("C-1", "K-1", "O-1", "kitchen", "leaks"), by=SUE)

    events = journey.do(c.ResolveComplaint("C-1", "K-1", "replaced"), by=SUE)

    assert names(events) == ["Complaint.Resolved"]


def test_dunning_is_refused_while_a_complaint_is_open_on_the_invoiced_order(journey):
    # 1. a complaint is filed on the invoiced order
    journey.do(c.FileComplaint("C-1", "K-1", "O-1", "kitchen", "the kettle leaks"), by=SUE)
    stored_before = journey.stored()

    # 2. billing tries to dun the overdue invoice
    with pytest.raises(DunningRefusedError) as excinfo:
        journey.do(c.DunInvoice("I-1"), by=BOB, at=on(date(2026, 3, 20)))

    # 3. the refusal names the complaint and nothing is stored
    assert [(r.code, r.hold.cause) for r in excinfo.value.refusals] == [("hold:complaint", "complaint K-1")]
    assert "K-1" in str(excinfo.value)
    assert journey.stored() == stored_before


def test_dunning_resumes_once_the_complaint_is_resolved(journey):
    journey.do(c.FileComplaint("C-1", "K-1", "O-1", "kitchen", "leaks"), by=SUE)
    journey.do(c.ResolveComplaint("C-1", "K-1", "replaced"), by=SUE)

    events = journey.do(c.DunInvoice("I-1"), by=BOB, at=on(date(2026, 3, 20)))

    # the step alone: what it consulted leaves no token in the stream
    assert names(events) == ["Invoice.DunningLevelReached"]
    assert events[0].level == 1


def test_a_refused_command_in_a_unit_of_work_leaves_no_events_to_save(journey):
    uow = journey.unit()

    with pytest.raises(DunningRefusedError):
        handle(c.DunInvoice("I-1"), uow, Context(on(date(2026, 3, 15)), BOB, DunningPolicy()))

    assert uow.events == []


def test_a_unit_of_work_loads_each_aggregate_once_and_sees_its_own_changes(journey):
    # given two commands on the same order in one unit of work
    uow = journey.unit()
    ctx = Context(AT, SUE, DunningPolicy())

    # when both are handled before anything is saved
    handle(c.FileComplaint("C-1", "K-1", "O-1", "kitchen", "leaks"), uow, ctx)
    handle(c.ShipOrder("C-1", "O-1"), uow, ctx)
    handle(c.DeliverOrder("C-1", "O-1"), uow, ctx)

    # then the later commands saw the earlier ones and the events are in the order they happened
    assert names(uow.events) == ["Complaint.Filed", "Order.Shipped", "Order.Delivered"]
    assert [e.originator_version for e in uow.events[1:]] == [2, 3]
    assert uow.members("order-complaint", "O-1") == ["K-1"]
    with pytest.raises(AlreadyExistsError):
        handle(c.FileComplaint("C-1", "K-1", "O-1", "kitchen", "again"), uow, ctx)


def test_a_rolled_back_request_leaves_the_earlier_requests_of_its_group_intact(journey):
    # given a group: a complaint filed and the order shipped (kept), then a request that ships
    # and delivers the order and then breaks a rule (rolled back)
    uow = journey.unit()
    ctx = Context(AT, SUE, DunningPolicy())
    handle(c.FileComplaint("C-1", "K-1", "O-1", "kitchen", "leaks"), uow, ctx)
    handle(c.ShipOrder("C-1", "O-1"), uow, ctx)
    savepoint = uow.savepoint()
    handle(c.DeliverOrder("C-1", "O-1"), uow, ctx)
    handle(c.RegisterCustomer("C-9", "Cy", "cy@example.org"), uow, ctx)
    handle(c.FileComplaint("C-1", "K-2", "O-1", "garden", "bursts"), uow, ctx)
    with pytest.raises(UnknownError):
        handle(c.ReceivePayment("C-1", "I-404", eur("1.00")), uow, ctx)

    # when the failed request is rolled back to its savepoint
    uow.rollback(savepoint)

    # then only the earlier requests remain, and the order is as they left it (shipped, v2)
    assert names(uow.events) == ["Complaint.Filed", "Order.Shipped"]
    assert uow.members("order-complaint", "O-1") == ["K-1"]
    order = uow.get(Order, "O-1")
    assert (order.status, order.version) == ("shipped", 2)
    assert uow.find(Complaint, "K-2") is None
    assert uow.find(Customer, "C-9") is None
    handle(c.DeliverOrder("C-1", "O-1"), uow, ctx)
    journey.save(uow)
    assert journey.stored()[-3:] == ["Complaint.Filed", "Order.Shipped", "Order.Delivered"]
    assert journey.app.repository.get(order.id).version == 3


def test_an_invoice_in_another_currency_than_its_order_is_refused(journey):
    # Given order O-1 in EUR; when an invoice in USD is issued for it
    before = journey.stored()
    with pytest.raises(CurrencyMismatchError):
        journey.do(c.IssueInvoice("C-1", "I-2", "O-1", Money(Decimal("100.00"), "USD"), date(2026, 3, 15)), by=BOB)
    # Then nothing is stored
    assert journey.stored() == before


def test_a_complaint_about_a_product_group_the_order_lacks_is_refused(journey):
    before = journey.stored()
    with pytest.raises(DomainError, match="no 'ladders' items"):
        journey.do(c.FileComplaint("C-1", "K-9", "O-1", "ladders", "a rung is bent"))
    assert journey.stored() == before


def test_a_rolled_back_request_leaves_no_half_changed_aggregate_in_the_writers_map(journey):
    # given the writer's map of aggregates as stored, shared by a new unit of work
    known: dict = {}
    warm = UnitOfWork(journey.app, journey.links, known)
    warm.get(Order, "O-1")
    uow = UnitOfWork(journey.app, journey.links, known)
    ctx = Context(AT, SUE, DunningPolicy())

    # when a request ships the order, then fails, and is rolled back
    savepoint = uow.savepoint()
    handle(c.ShipOrder("C-1", "O-1"), uow, ctx)
    with pytest.raises(UnknownError):
        handle(c.ReceivePayment("C-1", "I-404", eur("1.00")), uow, ctx)
    uow.rollback(savepoint)

    # then the map holds no shipped order: it is read again as stored
    assert all(a.status == "placed" for a in known.values() if isinstance(a, Order))
    assert uow.get(Order, "O-1").status == "placed"
    assert uow.events == []
