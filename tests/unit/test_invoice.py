"""The Invoice aggregate through its public methods."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.errors import (
    CurrencyMismatchError,
    DomainError,
    DunningRefusedError,
    InvalidTransitionError,
)
from domain.holds import Deferral, DunningPolicy, InvoiceStanding
from domain.invoice import Invoice
from domain.values import Money, Principal, aggregate_id
from tests.unit.builders import (
    AT,
    BOB,
    DUE,
    SHOP,
    SUE,
    TODAY,
    dun,
    eur,
    issue_invoice,
    names,
    on,
    refusal_codes,
    round_trip,
)

POLICY = DunningPolicy()


# Issue --------------------------------------------------------------------------------------


def test_issuing_records_what_is_owed_and_by_when():
    invoice = issue_invoice()

    [issued] = invoice.collect_events()
    assert type(issued).__qualname__ == "Invoice.Issued"
    assert (issued.invoice_id, issued.order_id, issued.customer_id) == ("I-1", "O-1", "C-1")
    assert issued.amount == Money(Decimal("100.00"), "EUR")
    assert issued.due_date == DUE
    assert (issued.at, issued.by) == (AT, BOB)
    assert invoice.id == aggregate_id("invoice", "I-1") == Invoice.create_id("I-1")
    assert invoice.balance == eur("100.00")
    assert invoice.dunning_level == 0


@pytest.mark.parametrize("amount", ["0", "-1.00"])
def test_an_invoice_amount_must_be_positive(amount):
    with pytest.raises(DomainError, match="must be positive"):
        issue_invoice(amount=eur(amount))


def test_a_new_invoice_stands_unpaid_and_unheld():
    invoice = issue_invoice()

    assert invoice.standing(open_complaints=[]) == InvoiceStanding(due_date=DUE, balance=Decimal("100.00"))


# Detailed and corrected invoices ------------------------------------------------------------


def test_a_corrected_invoice_answers_every_open_detailed_invoice_request(invoice):
    # given two unanswered requests for a detailed invoice
    invoice.request_detailed_invoice(note="itemise shipping", at=AT, by=SUE)
    invoice.request_detailed_invoice(note=None, at=AT, by=SHOP)
    assert invoice.open_detailed_requests == ["itemise shipping", "detailed invoice requested"]

    # when billing sends a corrected invoice with a new amount and due date
    invoice.issue_corrected_invoice(
        amount=eur("90.00"), due_date=date(2026, 3, 31), note="shipping itemised", at=AT, by=BOB
    )

    # then no request is open any more and the invoice shows the corrected facts
    assert names(invoice.collect_events()) == [
        "Invoice.DetailedInvoiceRequested",
        "Invoice.DetailedInvoiceRequested",
        "Invoice.CorrectedInvoiceIssued",
    ]
    assert invoice.open_detailed_requests == []
    assert invoice.amount == eur("90.00")
    assert invoice.due_date == date(2026, 3, 31)
    assert invoice.standing([]).open_detailed_requests == ()


def test_a_corrected_invoice_without_new_figures_keeps_amount_and_due_date(invoice):
    invoice.request_detailed_invoice(note="itemise", at=AT, by=SUE)

    invoice.issue_corrected_invoice(amount=None, due_date=None, note=None, at=AT, by=BOB)

    assert (invoice.amount, invoice.due_date, invoice.open_detailed_requests) == (eur("100.00"), DUE, [])


def test_a_corrected_invoice_in_another_currency_is_refused(invoice):
    invoice.request_detailed_invoice(note="itemise", at=AT, by=SUE)
    invoice.collect_events()

    with pytest.raises(CurrencyMismatchError):
        invoice.issue_corrected_invoice(
            amount=Money(Decimal("90.00"), "USD"), due_date=None, note=None, at=AT, by=BOB
        )

    assert invoice.collect_events() == []
    assert invoice.amount == eur("100.00")
    assert invoice.open_detailed_requests == ["itemise"]


def test_a_corrected_invoice_amount_must_be_positive(invoice):
    with pytest.raises(DomainError, match="must be positive"):
        invoice.issue_corrected_invoice(amount=eur("0"), due_date=None, note=None, at=AT, by=BOB)

    assert invoice.collect_events() == []


# Payments ------------------------------------------------------------------------------------


def test_a_partial_payment_reduces_the_balance(invoice):
    invoice.receive_payment(amount=eur("30.00"), at=AT, by=SHOP)

    [paid] = invoice.collect_events()
    assert type(paid).__qualname__ == "Invoice.PaymentReceived"
    assert paid.amount == eur("30.00")
    assert invoice.paid == eur("30.00")
    assert invoice.balance == eur("70.00")


def test_paying_the_rest_settles_the_invoice(invoice):
    invoice.receive_payment(amount=eur("30.00"), at=AT, by=SHOP)
    invoice.receive_payment(amount=eur("70.00"), at=AT, by=SHOP)

    assert invoice.balance == eur("0.00")
    assert invoice.standing([]).balance == Decimal(0)
    with pytest.raises(DunningRefusedError) as excinfo:
        dun(invoice, date(2026, 4, 1))
    assert refusal_codes(excinfo) == ["settled"]


def test_a_payment_in_another_currency_is_refused(invoice):
    with pytest.raises(CurrencyMismatchError, match="USD does not match EUR"):
        invoice.receive_payment(amount=Money(Decimal("100.00"), "USD"), at=AT, by=SHOP)

    assert invoice.collect_events() == []
    assert invoice.balance == eur("100.00")


@pytest.mark.parametrize("amount", ["0", "-10.00"])
def test_a_payment_must_be_positive(invoice, amount):
    with pytest.raises(DomainError, match="payment must be positive"):
        invoice.receive_payment(amount=eur(amount), at=AT, by=SHOP)

    assert invoice.collect_events() == []
    assert invoice.balance == eur("100.00")


# Deferrals and disputes ----------------------------------------------------------------------


def test_a_deferral_records_the_promise_and_who_made_it(invoice):
    invoice.grant_deferral(until=date(2026, 4, 1), reason="salary on the 1st", policy=POLICY, at=AT, by=BOB)
    invoice.grant_deferral(until=date(2026, 4, 15), reason="shop goodwill", policy=POLICY, at=AT, by=SHOP)

    events = invoice.collect_events()
    assert names(events) == ["Invoice.PaymentDeferralGranted"] * 2
    assert (events[0].until, events[0].reason) == (date(2026, 4, 1), "salary on the 1st")
    assert invoice.deferrals == [
        Deferral(date(2026, 4, 1), "salary on the 1st", "billing:bob", 1, "billing"),
        Deferral(date(2026, 4, 15), "shop goodwill", "integrator:shop", 2, "integrator"),
    ]


def test_a_deferral_may_end_today(invoice):
    invoice.grant_deferral(until=TODAY, reason="paying tonight", policy=POLICY, at=AT, by=BOB)

    assert [d.until for d in invoice.deferrals] == [TODAY]


def test_a_deferral_ending_in_the_past_is_refused(invoice):
    yesterday = TODAY - timedelta(days=1)

    with pytest.raises(DomainError, match="until today or later"):
        invoice.grant_deferral(until=yesterday, reason="too late", policy=POLICY, at=AT, by=BOB)

    assert invoice.collect_events() == []
    assert invoice.deferrals == []


def test_a_paid_invoice_cannot_be_deferred(invoice):
    invoice.receive_payment(amount=eur("100.00"), at=AT, by=SHOP)
    invoice.collect_events()

    with pytest.raises(InvalidTransitionError, match="is settled"):
        invoice.grant_deferral(until=date(2026, 4, 1), reason="no need", policy=POLICY, at=AT, by=BOB)

    assert invoice.collect_events() == []


def test_a_dispute_is_open_until_it_is_resolved(invoice):
    invoice.open_dispute_about(reason="wrong amount", at=AT, by=SUE)
    assert invoice.open_dispute == "wrong amount"

    invoice.resolve_dispute(resolution="amount confirmed", at=AT, by=BOB)

    assert invoice.open_dispute is None
    events = invoice.collect_events()
    assert names(events) == ["Invoice.DisputeOpened", "Invoice.DisputeResolved"]
    assert (events[0].reason, events[1].resolution) == ("wrong amount", "amount confirmed")


def test_a_disputed_invoice_cannot_be_disputed_again(invoice):
    invoice.open_dispute_about(reason="wrong amount", at=AT, by=SUE)
    invoice.collect_events()

    with pytest.raises(InvalidTransitionError, match="already disputed"):
        invoice.open_dispute_about(reason="still wrong", at=AT, by=SUE)

    assert invoice.collect_events() == []
    assert invoice.open_dispute == "wrong amount"


def test_resolving_without_an_open_dispute_is_refused(invoice):
    with pytest.raises(InvalidTransitionError, match="no open dispute"):
        invoice.resolve_dispute(resolution="nothing", at=AT, by=BOB)

    assert invoice.collect_events() == []


# Envelope and persistence ---------------------------------------------------------------------


def busy_invoice() -> Invoice:
    """An invoice that went through every kind of touchpoint, each by a different actor."""
    invoice = issue_invoice()
    invoice.request_detailed_invoice(note="itemise", at=on(date(2026, 3, 2)), by=SUE)
    invoice.issue_corrected_invoice(
        amount=eur("80.50"), due_date=date(2026, 3, 20), note="itemised", at=on(date(2026, 3, 3)), by=BOB
    )
    invoice.receive_payment(amount=eur("20.25"), at=on(date(2026, 3, 4)), by=SHOP)
    invoice.grant_deferral(until=date(2026, 3, 25), reason="salary", policy=POLICY, at=on(date(2026, 3, 5)), by=BOB)
    invoice.open_dispute_about(reason="fee", at=on(date(2026, 3, 6)), by=SUE)
    invoice.resolve_dispute(resolution="fee waived", at=on(date(2026, 3, 7)), by=BOB)
    invoice.reach_next_dunning_level(
        open_complaints=[], policy=POLICY, at=on(date(2026, 3, 26)),
        by=Principal("billing", source="dunning-run"),
    )
    return invoice


def test_every_invoice_event_carries_its_actor_and_time():
    events = busy_invoice().collect_events()

    assert names(events) == [
        "Invoice.Issued", "Invoice.DetailedInvoiceRequested", "Invoice.CorrectedInvoiceIssued",
        "Invoice.PaymentReceived", "Invoice.PaymentDeferralGranted", "Invoice.DisputeOpened",
        "Invoice.DisputeResolved", "Invoice.DunningLevelReached",
    ]
    assert [e.by for e in events] == [
        BOB, SUE, BOB, SHOP, BOB, SUE, BOB, Principal("billing", source="dunning-run")
    ]
    assert [e.at.date().day for e in events] == [1, 2, 3, 4, 5, 6, 7, 26]
    assert all(isinstance(e.by, Principal) and e.at.tzinfo is not None for e in events)


def test_an_invoice_read_back_from_its_events_equals_the_original():
    original = busy_invoice()

    restored, sent, stored = round_trip(original)

    assert vars(restored) == vars(original)
    assert stored == sent
    assert restored.balance == Money(Decimal("60.25"), "EUR")
    assert type(restored.amount.amount) is Decimal
    assert restored.due_date == date(2026, 3, 20) and type(restored.due_date) is date
    assert stored[-1].by == Principal("billing", source="dunning-run")
    assert stored[0].at == AT
