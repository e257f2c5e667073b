"""Properties of the journey under random interleavings of what departments and the shop do.

Each example registers 2-4 customers, each with an order and an invoice, then runs a random
list of steps through JourneyService.execute and .ingest: orders, invoices, detailed-invoice
requests and corrected invoices, partial and full payments, deferrals, disputes, complaints,
clock moves (FixedClock), dunning steps (also after waiting out the dunning interval) and
collection hand-offs. Refusals are expected.

After every step, each new event is projected on its own (so every position is a checkpoint,
also one between two events of the same write), and we check:
(a) no DunningLevelReached / HandedToCollection is recorded while a hold was active at its
    position. The oracle is a small reference model in this file, fed the raw stream (recorder
    notifications mapped to domain events, in pages); it does not use domain.holds;
(b) for every customer, billing and support agree on each fact they share, at one position, and
    billing's status, holds and balances equal the reference model's; the dunning candidates found
    through the candidates table are exactly those the hold rule finds in all of billing; the
    invoice page and billing's worklists show each invoice exactly as billing's view does;
and at the end of every example:
(c) every view rebuilt from scratch equals the live one. The rebuild is real: a new, empty read
    store of the same kind (its own SQLite file; its own tables in the same PostgreSQL database)
    is filled by a new Projector reading the whole stream, then every document, every journey
    entry and every customer's views (billing and support read models) are compared.

Examples share one database per backend; each example's ids carry a unique prefix.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import hypothesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import commands as c
from domain.errors import DomainError, DunningRefusedError
from domain.invoice import Invoice
from projections import read_models, worklists
from projections.views import fold
from services.clock import FixedClock
from services.journey import Accepted, RejectedError
from services.lists import Lists
from services.projector import Projector
from services.reads import Reads
from tests.integration.helpers import (
    BILLING,
    SALES,
    SUPPORT,
    dump,
    eur,
    fresh_read_store,
    lines,
    open_journey,
    stream,
    submission,
)

#: Examples per backend; JOURNEY_PROPERTY_EXAMPLES overrides both.
EXAMPLES = {"sqlite": 40, "postgres": 20}

#: Step kinds; repeated kinds are drawn more often (dunning needs time to pass). "look" does
#: nothing but the checks: lists shrink towards it, so a minimal failing example stays readable.
KINDS = (
    "look", "order", "invoice", "invoice", "detail", "correct", "pay", "pay", "defer", "dispute",
    "settle", "complain", "answer", "resolve", "advance", "advance", "advance", "advance", "dun",
    "dun", "dun", "dun", "dun", "chase", "chase", "collect", "collect", "retry", "credit",
    "writeoff", "offset", "revoke", "shorten",
)
STEP = st.tuples(st.sampled_from(KINDS), st.integers(0, 3), st.integers(0, 7), st.integers(0, 40))


# (a) The reference model: holds recomputed from raw events, independently of domain.holds.

@dataclass
class ModelInvoice:
    customer_id: str
    invoice_id: str
    order_id: str
    amount: Decimal
    due_date: date
    paid: Decimal = Decimal(0)
    credited: Decimal = Decimal(0)
    written_off: Decimal = Decimal(0)
    offset_in: Decimal = Decimal(0)
    offset_out: Decimal = Decimal(0)
    detailed_requests: int = 0
    deferred_until: dict[int, date] = field(default_factory=dict)  # promise number -> last day
    promises: int = 0
    disputed: bool = False
    handed_over: bool = False

    @property
    def written_off_still(self) -> Decimal:
        """A write-off gives up only what is owed without it: a later payment recovers it."""
        before = self.amount - self.paid - self.credited - self.offset_in + self.offset_out
        return min(self.written_off, before) if before > 0 else Decimal(0)

    @property
    def owed(self) -> Decimal:
        """Negative when the customer paid more than is owed."""
        return self.amount - self.paid - self.credited - self.offset_in + self.offset_out - self.written_off_still

    def status(self, today: date) -> str:
        if self.owed <= 0:
            if self.written_off_still > 0:
                return "written-off"
            return "credited" if self.credited > 0 and self.paid + self.offset_in < self.amount else "settled"
        if self.handed_over:
            return "in-collection"
        return "overdue" if today > self.due_date else "due-today" if today == self.due_date else "open"


class HoldOracle:
    """Folds the raw stream; at every dunning step or hand-off, records a violation if a hold
    was active: a detailed invoice requested and not yet sent, a deferral with
    ``at.date() <= until``, an open dispute, or an open complaint on the invoiced order."""

    def __init__(self) -> None:
        self.invoices: dict[UUID, ModelInvoice] = {}
        self.complaints: dict[UUID, tuple[str, str]] = {}  # id -> (order_id, complaint_id)
        self.open_complaints: set[UUID] = set()
        self.customers: set[str] = set()
        self.violations: list[str] = []
        self.decisions = 0
        self.position = 0

    def feed(self, event: Any, position: int) -> None:
        name, oid = type(event).__qualname__, event.originator_id
        invoice = self.invoices.get(oid)
        match name:
            case "Customer.Registered":
                self.customers.add(event.customer_id)
            case "Invoice.Issued":
                self.invoices[oid] = ModelInvoice(
                    event.customer_id, event.invoice_id, event.order_id, event.amount.amount, event.due_date
                )
            case "Invoice.DetailedInvoiceRequested":
                invoice.detailed_requests += 1
            case "Invoice.CorrectedInvoiceIssued":
                invoice.detailed_requests = 0
                if event.amount is not None:
                    invoice.amount = event.amount.amount
                if event.due_date is not None:
                    invoice.due_date = event.due_date
            case "Invoice.PaymentReceived":
                invoice.paid += event.amount.amount
            case "Invoice.CreditNoteIssued":
                invoice.credited += event.amount.amount
            case "Invoice.WrittenOff":
                invoice.written_off += event.amount.amount
            case "Invoice.CreditApplied":
                invoice.offset_in += event.amount.amount
            case "Invoice.CreditTransferred":
                invoice.offset_out += event.amount.amount
            case "Invoice.PaymentDeferralGranted":
                invoice.promises += 1
                invoice.deferred_until[invoice.promises] = event.until
            case "Invoice.DeferralRevoked":
                del invoice.deferred_until[event.number]
            case "Invoice.DeferralShortened":
                invoice.deferred_until[event.number] = event.until
            case "Invoice.DisputeOpened":
                invoice.disputed = True
            case "Invoice.DisputeResolved":
                invoice.disputed = False
            case "Complaint.Filed":
                self.complaints[oid] = (event.order_id, event.complaint_id)
                self.open_complaints.add(oid)
            case "Complaint.Resolved":
                self.open_complaints.discard(oid)
            case "Invoice.DunningLevelReached" | "Invoice.HandedToCollection":
                invoice.handed_over = invoice.handed_over or name == "Invoice.HandedToCollection"
                self.decisions += 1
                holds = self.holds(invoice, event.at.date())
                if holds:
                    self.violations.append(
                        f"{name} of {invoice.invoice_id} at position {position} "
                        f"on {event.at.date()} despite {sorted(holds.elements())}"
                    )
        self.position = position

    def holds(self, invoice: ModelInvoice, today: date) -> Counter[str]:
        return Counter(
            ["detailed-invoice-requested"] * invoice.detailed_requests
            + ["payment-deferral" for until in invoice.deferred_until.values() if today <= until]
            + ["dispute"] * invoice.disputed
            + [
                "complaint"
                for oid in self.open_complaints
                if self.complaints[oid][0] == invoice.order_id
            ]
        )

    def invoices_of(self, customer_id: str) -> dict[str, ModelInvoice]:
        return {i.invoice_id: i for i in self.invoices.values() if i.customer_id == customer_id}


# The driver: one example's customers and what they have, and the steps that act on them.

@dataclass
class Customer:
    customer_id: str
    orders: list[str] = field(default_factory=list)
    invoices: list[str] = field(default_factory=list)
    complaints: list[str] = field(default_factory=list)


class Run:
    """Runs one example's steps against a journey and checks (a) and (b) after each."""

    def __init__(self, journey, clock: FixedClock, oracle: HoldOracle, prefix: str, stats: Counter) -> None:
        self.journey, self.clock, self.oracle, self.stats = journey, clock, oracle, stats
        self.prefix = prefix
        self.oracle.violations.clear()  # found in an earlier example, and reported there
        self.customers: list[Customer] = []
        self.accepted: list[tuple[Any, Accepted]] = []
        self.refused_by_hold: set[str] = set()
        self.counter = itertools.count()

    def new_id(self, kind: str) -> str:
        return f"{self.prefix}{kind}{next(self.counter)}"

    def today(self) -> date:
        return self.clock.now().date()

    # Steps ---------------------------------------------------------------------------------

    def setup(self, customers: int, dues: list[int]) -> None:
        for n in range(customers):
            customer = Customer(self.new_id("c"))
            self.customers.append(customer)
            self.execute(c.RegisterCustomer(customer.customer_id, f"Customer {n}", f"{n}@example.com"), SALES)
            self.place_order(customer)
            self.issue_invoice(customer, 0, dues[n % len(dues)], 40)

    def place_order(self, customer: Customer) -> None:
        order = self.new_id("o")
        if self.execute(c.PlaceOrder(customer.customer_id, order, lines("books", "garden"), "EUR"), SALES):
            customer.orders.append(order)

    def issue_invoice(self, customer: Customer, target: int, due_in: int, amount: int) -> None:
        if not customer.orders:
            return
        invoice, order = self.new_id("i"), customer.orders[target % len(customer.orders)]
        due = self.today() + timedelta(days=due_in % 15)
        if self.execute(c.IssueInvoice(customer.customer_id, invoice, order, eur(10 + amount * 5), due), BILLING):
            customer.invoices.append(invoice)

    def step(self, kind: str, who: int, target: int, number: int) -> None:
        customer = self.customers[who % len(self.customers)]
        cid = customer.customer_id
        invoice = customer.invoices[target % len(customer.invoices)] if customer.invoices else None
        complaint = customer.complaints[target % len(customer.complaints)] if customer.complaints else None
        match kind:
            case "order":
                self.place_order(customer)
            case "invoice":
                self.issue_invoice(customer, target, number, number)
            case "detail" if invoice:
                self.execute(c.RequestDetailedInvoice(cid, invoice, None if number % 2 else f"note {number}"), SUPPORT)
            case "correct" if invoice:
                amount = eur(20 + number * 5) if number % 2 else None
                due = self.today() + timedelta(days=number % 10) if number % 3 == 0 else None
                self.execute(c.IssueCorrectedInvoice(cid, invoice, amount, due, "itemised"), BILLING)
            case "pay" if invoice:
                facts = self.oracle.invoices[Invoice.create_id(invoice)]
                full = facts.amount - facts.paid
                amount = eur(full) if number % 3 == 0 and full > 0 else eur(number + 1)
                self.ingest(c.ReceivePayment(cid, invoice, amount))
            case "defer" if invoice:
                until = self.today() + timedelta(days=number % 21)
                self.execute(c.GrantDeferral(cid, invoice, until, f"promise {number}"), SUPPORT)
            case "dispute" if invoice:
                self.execute(c.OpenDispute(cid, invoice, f"dispute {number}"), SUPPORT)
            case "settle" if invoice:
                self.execute(c.ResolveDispute(cid, invoice, "settled"), SUPPORT)
            case "complain" if customer.orders:
                complaint = self.new_id("k")
                order = customer.orders[target % len(customer.orders)]
                command = c.FileComplaint(cid, complaint, order, "garden", f"complaint {number}")
                if (self.ingest(command) if number % 2 else self.execute(command, SUPPORT)):
                    customer.complaints.append(complaint)
            case "answer" if complaint:
                self.execute(c.AnswerComplaint(cid, complaint, "we are on it"), SUPPORT)
            case "resolve" if complaint:
                self.execute(c.ResolveComplaint(cid, complaint, "resolved"), SUPPORT)
            case "advance":
                self.clock.advance(days=1 + number % 30)
            case "dun" | "collect" if invoice:
                self.decide(kind, invoice)
            case "chase" if invoice:  # wait out the dunning interval, then dun
                self.clock.advance(days=14 + number % 7)
                self.decide("dun", invoice)
            case "retry" if self.accepted:
                self.retry(number)
            case "credit" if invoice:
                self.execute(c.IssueCreditNote(invoice, eur(1 + number % 20), "goodwill"), BILLING)
            case "writeoff" if invoice and number % 3 == 0:
                self.execute(c.WriteOffInvoice(invoice, "not worth chasing"), BILLING)
            case "offset":
                self.execute(c.OffsetCredit(cid), BILLING)
            case "revoke" if invoice:
                self.execute(c.RevokeDeferral(invoice, 1 + number % 3, "changed"), SUPPORT)
            case "shorten" if invoice:
                until = self.today() + timedelta(days=number % 5)
                self.execute(c.ShortenDeferral(invoice, 1 + number % 3, until, "sooner"), SUPPORT)

    def decide(self, kind: str, invoice: str) -> None:
        command = c.DunInvoice(invoice) if kind == "dun" else c.HandToCollection(invoice)
        try:
            self.journey.service.execute(command, BILLING)
        except DunningRefusedError as refused:
            held = any(r.hold is not None for r in refused.refusals)
            outcome = "refused by a hold" if held else "refused, no hold"
            if held:
                self.refused_by_hold.add(invoice)
        else:
            outcome = "allowed"
            if invoice in self.refused_by_hold:
                self.stats[f"{kind} allowed after a hold"] += 1
                hypothesis.event(f"{kind} allowed after a hold")
        self.stats[f"{kind} {outcome}"] += 1
        hypothesis.event(f"{kind} {outcome}")

    def retry(self, number: int) -> None:
        sub, first = self.accepted[number % len(self.accepted)]
        head = self.journey.service.head()
        [again] = self.journey.service.ingest([sub])
        assert (again.position, again.duplicate) == (first.position, True)
        assert self.journey.service.head() == head

    def execute(self, command: Any, by: Any) -> bool:
        try:
            self.journey.service.execute(command, by)
        except DomainError:
            return False
        return True

    def ingest(self, command: Any) -> bool:
        sub = submission(self.new_id("e"), command)
        try:
            [accepted] = self.journey.service.ingest([sub])
        except RejectedError:
            return False
        self.accepted.append((sub, accepted))
        return True

    # Checks ----------------------------------------------------------------------------------

    def check(self) -> None:
        """(a) and (b) at every position the last step wrote: each new event is projected on
        its own, so a read between two events of one write is checked too."""
        store, name = self.journey.store, self.journey.service.app.name
        for event, position in stream(self.journey, self.oracle.position):
            store.project(name, [(event, position)], fold)
            self.oracle.feed(event, position)
            assert not self.oracle.violations, self.oracle.violations
            for customer in self.customers:
                if customer.customer_id not in self.oracle.customers:
                    continue  # not registered at this position
                views = self.journey.reads.views(customer.customer_id)
                check_departments_agree(views, position)
                check_pages_show_invoices_as_billing_does(Lists(self.journey.reads), views["billing"], position)
                check_billing_matches_the_model(
                    views["billing"], self.oracle.invoices_of(customer.customer_id), self.oracle, self.today()
                )
            check_candidates_are_what_the_rule_finds(self.journey, self.today())
        assert self.journey.projector.position() == self.journey.service.head()


def _ids(items: list[dict], key: str = "invoice_id") -> Counter[str]:
    return Counter(i[key] for i in items)


#: The facts billing and support both show; each must be equal in both, at every position.
SHARED = {"position", "as_of", "customer", "open_complaints", "promises", "customer_credit", "invoices"}


def check_departments_agree(views: dict, head: int) -> None:
    """(b) Billing and support show every fact they share with the same words and values, at
    the same position: each invoice (status, balance, due date, level, holds...), the promises,
    the open complaints and the customer's credit."""
    billing, support = views["billing"], views["support"]
    assert views["position"] == billing["position"] == support["position"] == head
    assert billing.keys() & support.keys() == SHARED
    for fact in SHARED:
        assert billing[fact] == support[fact], fact
    invoices = billing["invoices"]
    # Promises: billing's deferral holds are support's active promises, until for until.
    assert Counter(
        (i["invoice_id"], h["until"]) for i in invoices for h in i["holds"] if h["kind"] == "payment-deferral"
    ) == Counter((p["invoice_id"], p["until"]) for p in support["promises"] if p["active"])
    # Detailed invoices still to send.
    assert Counter(
        i["invoice_id"] for i in invoices for h in i["holds"] if h["kind"] == "detailed-invoice-requested"
    ) == _ids(support["open_detailed_invoice_requests"])
    # Open complaints.
    assert sorted(billing["open_complaints"]) == sorted(support["open_complaints"])


def check_pages_show_invoices_as_billing_does(lists: Lists, billing: dict, position: int) -> None:
    """(b) The invoice page and billing's worklists show each invoice exactly as billing does
    (one rendering, ``read_models.invoice_view``): one invoice per customer at each position
    (round robin), and every receivable or collected invoice of the customer."""
    invoices = {i["invoice_id"]: i for i in billing["invoices"]}
    if not invoices:
        return
    picked = sorted(invoices)[position % len(invoices)]
    assert lists.invoice(picked)["invoice"] == invoices[picked]
    customer = billing["customer"]["customer_id"]
    for page in (lists.receivables(limit=1000), lists.in_collection(limit=1000)):
        for shown in page["invoices"]:
            if shown["customer_id"] == customer:
                extra = {"customer", "days_past_due", "bucket"}
                assert {k: v for k, v in shown.items() if k not in extra} == invoices[shown["invoice_id"]]


def all_candidates(reads: Reads) -> list[dict]:
    """Every page of dunning candidates, in order."""
    found, cursor = [], None
    while True:
        page = reads.dunning_candidates(limit=50, cursor=cursor)
        found += page["candidates"]
        if (cursor := page["next_cursor"]) is None:
            return found


def check_candidates_are_what_the_rule_finds(journey, today: date) -> None:
    """(b) The dunning candidates found through the candidates table are exactly those the hold
    rule finds among every billing document: the table never leaves one out."""
    everything = journey.store.read(
        journey.service.app.name, None, ("billing", "customers"), ("invoice", "complaint", "customer")
    )
    expected = read_models.dunning_candidates(everything, today, journey.service.policy)["candidates"]
    assert all_candidates(journey.reads) == worklists.with_contacts(expected, everything)


def check_billing_matches_the_model(billing: dict, model: dict[str, ModelInvoice], oracle: HoldOracle, today: date) -> None:
    """(b) Billing's status, holds and balances equal the reference model's."""
    invoices = {i["invoice_id"]: i for i in billing["invoices"]}
    assert sorted(invoices) == sorted(model)
    for invoice_id, facts in model.items():
        shown = invoices[invoice_id]
        owed = facts.owed  # an overpayment is the customer's credit, not a negative balance
        assert (Decimal(shown["balance"]), Decimal(shown["credit"])) == (max(owed, 0), max(-owed, 0))
        assert shown["status"] == facts.status(today), invoice_id
        assert Counter(h["kind"] for h in shown["holds"]) == oracle.holds(facts, today), invoice_id


def check_rebuild_equals_live(journey, clock: FixedClock, run: Run, name: str, directory) -> None:
    """(c) A new read store filled from the whole stream equals the live one."""
    rebuilt = fresh_read_store(journey, name, directory)
    try:
        reached = Projector(journey.service.app, rebuilt).catch_up()
        customers = [cu.customer_id for cu in run.customers]
        assert reached == journey.service.head()
        assert dump(rebuilt, customers) == dump(journey.store, customers)
        reads = Reads(rebuilt, journey.service.app.name, clock, journey.service.policy, 0, journey.service.head)
        for customer in customers:
            assert reads.views(customer) == journey.reads.views(customer)
            assert reads.journey(customer) == journey.reads.journey(customer)
        assert all_candidates(reads) == all_candidates(journey.reads)
    finally:
        rebuilt.close()


def test_no_dunning_under_a_hold_and_every_view_agrees(database_url, tmp_path):
    """(a) and (b) at every position of random histories; (c) at the end of each: the views are
    rebuilt from the whole stream into a new, empty read store (own SQLite file, own PostgreSQL
    tables) by a new Projector and must equal the live ones, document for document."""
    backend = "postgres" if database_url.startswith("postgres") else "sqlite"
    examples = int(os.environ.get("JOURNEY_PROPERTY_EXAMPLES", EXAMPLES[backend]))
    clock = FixedClock(datetime(2024, 1, 1, 9, tzinfo=UTC))
    journey = open_journey(database_url, clock)
    oracle, stats, numbers = HoldOracle(), Counter(), itertools.count()

    @settings(
        max_examples=examples, deadline=None, database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        customers=st.integers(2, 4),
        dues=st.lists(st.integers(0, 14), min_size=1, max_size=4),
        steps=st.lists(STEP, min_size=20, max_size=60),
    )
    def example(customers: int, dues: list[int], steps: list[tuple[str, int, int, int]]) -> None:
        n = next(numbers)
        clock.set(datetime(2024, 1, 1, 9, tzinfo=UTC))
        run = Run(journey, clock, oracle, f"x{n}-", stats)
        # 1. Customers with an order and an invoice each.
        run.setup(customers, dues)
        run.check()
        # 2. The random steps, each followed by the checks (a) and (b).
        for kind, who, target, number in steps:
            run.step(kind, who, target, number)
            run.check()
        # 3. (c) at the end of the example.
        check_rebuild_equals_live(journey, clock, run, f"rebuild{n}", tmp_path)

    try:
        example()
    finally:
        journey.close()

    # The interesting paths were reached: dunning refused by holds, and allowed.
    assert oracle.decisions > 0
    assert stats["dun allowed"] > 0, stats
    assert stats["dun refused by a hold"] > 0, stats
