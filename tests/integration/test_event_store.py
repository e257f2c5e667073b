"""The journey stream as stored: positions, atomic ordered batches, idempotent ingestion and
durability, on SQLite and PostgreSQL alike (one body per test, the ``database_url`` fixture)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain import commands as c
from domain.complaint import Complaint
from domain.errors import DomainError
from domain.holds import DunningPolicy
from domain.invoice import Invoice
from domain.order import Order
from services.clock import FixedClock
from services.handlers import Context, handle
from services.journey import ConflictError, RejectedError
from services.unit_of_work import UnitOfWork
from tests.integration.helpers import (
    BILLING,
    SHOP,
    SUPPORT,
    customer_with_invoice,
    eur,
    event_names,
    lines,
    open_journey,
    stream,
    submission,
)


@pytest.fixture
def journey(database_url):
    journey = open_journey(database_url)
    yield journey
    journey.close()


def _new_customer_batch(prefix: str) -> list:
    """Five touchpoints of a new customer, each depending on the ones before it."""
    return [
        submission(f"{prefix}-1", c.RegisterCustomer(prefix, "Ann", "ann@example.com")),
        submission(f"{prefix}-2", c.PlaceOrder(prefix, f"{prefix}-o", lines("books"), "EUR")),
        submission(f"{prefix}-3", c.IssueInvoice(prefix, f"{prefix}-i", f"{prefix}-o", eur(20), date(2024, 2, 1))),
        submission(f"{prefix}-4", c.ReceivePayment(prefix, f"{prefix}-i", eur(5))),
        submission(f"{prefix}-5", c.FileComplaint(prefix, f"{prefix}-k", f"{prefix}-o", "books", "torn")),
    ]


def test_every_accepted_touchpoint_gets_a_strictly_increasing_position(journey):
    run = journey.service.execute
    # 1. Department commands, one at a time.
    positions = customer_with_invoice(journey)
    positions.append(run(c.RequestDetailedInvoice("c1", "i1", "itemise"), SUPPORT).position)
    positions.append(run(c.FileComplaint("c1", "k1", "o1", "books", "torn"), SUPPORT).position)
    # 2. Integrator touchpoints, one batch.
    positions += [a.position for a in journey.service.ingest(_new_customer_batch("c2"))]

    assert positions == sorted(set(positions))
    assert positions[0] >= 1
    assert journey.service.head() == max(p for _, p in stream(journey)) == positions[-1]
    # Only touchpoints are stored, one position each, with nothing in between.
    stored = {p: type(e).__qualname__ for e, p in stream(journey)}
    assert positions == list(range(1, len(positions) + 1))
    assert [stored[p] for p in positions] == [
        "Customer.Registered", "Order.Placed", "Invoice.Issued", "Invoice.DetailedInvoiceRequested",
        "Complaint.Filed", "Customer.Registered", "Order.Placed", "Invoice.Issued",
        "Invoice.PaymentReceived", "Complaint.Filed",
    ]


def test_a_batch_is_stored_atomically_in_the_order_sent(journey):
    head = journey.service.head()

    accepted = journey.service.ingest(_new_customer_batch("c1"))

    assert [a.duplicate for a in accepted] == [False] * 5
    # Consecutive touchpoints at consecutive positions: no bookkeeping in between.
    assert [a.position for a in accepted] == [head + 1, head + 2, head + 3, head + 4, head + 5]
    assert event_names(journey, head) == [
        "Customer.Registered", "Order.Placed", "Invoice.Issued", "Invoice.PaymentReceived", "Complaint.Filed",
    ]
    # Each touchpoint carries the CloudEvent it came from.
    assert [(e.by.source, e.by.event_id) for e, _ in stream(journey, head)] == [
        (SHOP, f"c1-{n}") for n in range(1, 6)
    ]
    invoice = journey.service.app.repository.get(Invoice.create_id("c1-i"))
    assert invoice.balance == eur(15)


def test_a_batch_with_one_rejected_touchpoint_stores_nothing(journey):
    customer_with_invoice(journey)
    head = journey.service.head()
    batch = [
        submission("e1", c.ReceivePayment("c1", "i1", eur(10))),
        submission("e2", c.RequestDetailedInvoice("c1", "i1", None)),
        submission("e3", c.ReceivePayment("c1", "no-such-invoice", eur(10))),
        submission("e4", c.ReceivePayment("c1", "i1", eur(10))),
    ]

    with pytest.raises(RejectedError) as rejected:
        journey.service.ingest(batch)

    assert rejected.value.index == 2
    assert rejected.value.error.code == "unknown-invoice"
    assert journey.service.head() == head
    assert journey.service.app.repository.get(Invoice.create_id("i1")).balance == eur(100)
    # No idempotency key was kept either: the valid touchpoints are new when sent again.
    again = journey.service.ingest([batch[0], batch[1], batch[3]])
    assert [a.duplicate for a in again] == [False, False, False]


def test_a_touchpoint_creating_what_is_already_stored_is_rejected_not_a_conflict(journey):
    customer_with_invoice(journey)
    head = journey.service.head()
    batch = [
        submission("e1", c.ReceivePayment("c1", "i1", eur(10))),
        submission("e2", c.RegisterCustomer("c1", "Ann again", "ann@example.com")),
    ]

    with pytest.raises(RejectedError) as rejected:
        journey.service.ingest(batch)

    assert (rejected.value.index, rejected.value.error.code) == (1, "customer-exists")
    assert journey.service.head() == head


def test_a_rule_broken_late_in_a_batch_rejects_touchpoints_that_depend_on_earlier_ones(journey):
    head = journey.service.head()
    batch = _new_customer_batch("c1")
    batch.insert(3, submission("c1-x", c.ResolveDispute("c1", "c1-i", "no dispute was opened")))

    with pytest.raises(RejectedError) as rejected:
        journey.service.ingest(batch)

    assert rejected.value.index == 3
    assert rejected.value.error.code == "invalid-transition"
    assert journey.service.head() == head
    assert Order.create_id("c1-o") not in journey.service.app.repository


def test_a_retried_submission_answers_its_original_position_and_stores_nothing(journey):
    customer_with_invoice(journey)
    payment = submission("pay-1", c.ReceivePayment("c1", "i1", eur(30)))
    [first] = journey.service.ingest([payment])
    head = journey.service.head()

    [retry] = journey.service.ingest([payment])

    assert retry.position == first.position
    assert retry.duplicate is True
    assert first.duplicate is False
    assert journey.service.head() == head
    assert journey.service.app.repository.get(Invoice.create_id("i1")).balance == eur(70)
    # Identity is the pair (source, id): another source, or another id, is another touchpoint.
    [other_source] = journey.service.ingest([submission("pay-1", payment.command, source="https://till")])
    [other_id] = journey.service.ingest([submission("pay-2", payment.command)])
    assert not other_source.duplicate and not other_id.duplicate
    assert head < other_source.position < other_id.position


def test_a_reused_id_with_other_content_is_an_idempotency_conflict_and_stores_nothing(journey):
    customer_with_invoice(journey)
    journey.service.ingest([submission("pay-1", c.ReceivePayment("c1", "i1", eur(30)))])
    head = journey.service.head()
    changed = submission("pay-1", c.ReceivePayment("c1", "i1", eur(40)))
    fresh = submission("pay-2", c.ReceivePayment("c1", "i1", eur(1)))

    with pytest.raises(ConflictError) as conflict:
        journey.service.ingest([fresh, changed])

    assert conflict.value.code == "idempotency-conflict"
    assert conflict.value.index == 1
    assert journey.service.head() == head
    assert journey.service.app.repository.get(Invoice.create_id("i1")).balance == eur(70)


def test_duplicates_inside_one_batch_are_stored_once(journey):
    customer_with_invoice(journey)
    head = journey.service.head()
    payment = submission("pay-1", c.ReceivePayment("c1", "i1", eur(30)))
    request = submission("req-1", c.RequestDetailedInvoice("c1", "i1", None))

    accepted = journey.service.ingest([payment, request, payment, payment])

    assert [a.duplicate for a in accepted] == [False, False, True, True]
    assert accepted[0].position == accepted[2].position == accepted[3].position
    assert accepted[0].position < accepted[1].position
    assert event_names(journey, head).count("Invoice.PaymentReceived") == 1
    assert journey.service.app.repository.get(Invoice.create_id("i1")).balance == eur(70)
    # The same id with other content inside one batch is a conflict, and nothing is stored.
    head = journey.service.head()
    changed = submission("pay-3", c.ReceivePayment("c1", "i1", eur(2)))
    with pytest.raises(ConflictError) as conflict:
        journey.service.ingest([changed, request, submission("pay-3", c.ReceivePayment("c1", "i1", eur(3)))])
    assert (conflict.value.code, conflict.value.index) == ("idempotency-conflict", 2)
    assert journey.service.head() == head


def test_positions_and_aggregates_survive_reopening(database_url):
    # 1. Write through one journey, then close it.
    journey = open_journey(database_url)
    customer_with_invoice(journey)
    payment = submission("pay-1", c.ReceivePayment("c1", "i1", eur(30)))
    [paid] = journey.service.ingest([payment])
    complaint = journey.service.execute(c.FileComplaint("c1", "k1", "o1", "books", "torn"), SUPPORT)
    head = journey.service.head()
    before = list((type(e).__qualname__, e.originator_id, e.originator_version, p) for e, p in stream(journey))
    journey.close()

    # 2. Reopen on the same URL.
    journey = open_journey(database_url)
    try:
        after = list((type(e).__qualname__, e.originator_id, e.originator_version, p) for e, p in stream(journey))
        assert journey.service.head() == head
        assert after == before
        repo = journey.service.app.repository
        assert repo.get(Invoice.create_id("i1")).balance == eur(70)
        assert journey.service.app.recorder.members("order-complaint", "o1") == ["k1"]
        assert repo.get(Complaint.create_id("k1")).resolved is False
        # 3. A retry still answers its original position; new writes continue after the head.
        [retry] = journey.service.ingest([payment])
        assert (retry.position, retry.duplicate) == (paid.position, True)
        written = journey.service.execute(c.ResolveComplaint("c1", "k1", "replaced"), SUPPORT)
        assert written.position == head + 1
        assert complaint.position == head  # the complaint was the last write before closing
    finally:
        journey.close()


def test_closing_a_journey_closes_its_read_store_too(database_url):
    journey = open_journey(database_url)
    customer_with_invoice(journey)
    journey.projector.catch_up()

    journey.close()

    assert journey.service.app.recorder.datastore.pool.closed
    assert journey.store.datastore.pool.closed


def test_a_dunning_step_decided_before_a_complaint_written_without_the_lock_is_re_decided(
    database_url, monkeypatch
):
    # 1. Two processes' worth of journeys on one store; the invoice is overdue and without holds.
    clock = FixedClock(datetime(2024, 2, 1, 9, tzinfo=UTC))
    billing, support = open_journey(database_url, clock), open_journey(database_url, clock)
    try:
        customer_with_invoice(billing, due=date(2024, 1, 15))
        dun = Invoice.reach_next_dunning_level
        intrusions = []

        def dun_after_the_complaint(invoice, **kwargs):
            # 2. After billing loaded the invoice and the order's complaints, and before it
            #    appends the step, support files a complaint WITHOUT the writer lock (as a
            #    process whose lock was lost would): only the append condition stands guard.
            if not intrusions:
                uow = UnitOfWork(support.service.app, support.service.app.recorder)
                complaint = c.FileComplaint("c1", "k1", "o1", "books", "torn")
                handle(complaint, uow, Context(clock.now(), SUPPORT, DunningPolicy()))
                support.service.app.events.put(uow.events, links=uow.links)
                intrusions.append(complaint)
            return dun(invoice, **kwargs)

        monkeypatch.setattr(Invoice, "reach_next_dunning_level", dun_after_the_complaint)

        # 3. The step is re-decided against the new history, and refused for the complaint.
        with pytest.raises(DomainError) as refused:
            billing.service.execute(c.DunInvoice("i1"), BILLING)

        assert intrusions, "the complaint was not filed between load and save"
        assert [r.code for r in refused.value.refusals] == ["hold:complaint"]
        assert event_names(billing)[-1] == "Complaint.Filed"
    finally:
        billing.close()
        support.close()
