"""Journey entries say what they concern: the ids of their subject and one line a person reads,
beside the event's own data. Events of real aggregates folded by the pure mappers; no store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.domain import Aggregate

from domain.complaint import Complaint
from domain.contact_book import ContactBook
from domain.customer import Customer
from domain.holds import DunningPolicy
from domain.invoice import Invoice
from domain.loyalty_card import LoyaltyCard
from domain.order import Order
from domain.raffle import Raffle
from domain.values import Money
from projections.batch import Batch
from projections.summaries import SUMMARIES, generic, summarize
from projections.views import fold
from tests.unit.builders import (
    AT,
    BOB,
    HOSE,
    SHOP,
    SUE,
    Stream,
    dun,
    eur,
    file_complaint,
    issue_invoice,
    on,
    place_order,
    register_customer,
)

AFTER_DUE = date(2026, 3, 20)
AGGREGATES = (Customer, Order, Invoice, Complaint, ContactBook, LoyaltyCard, Raffle)


def entries_of(stream: Stream) -> list[dict[str, Any]]:
    return [entry for _, _, entry in stream.fold().entries]


def last_entry(stream: Stream) -> dict[str, Any]:
    return entries_of(stream)[-1]


def domain_event_types() -> list[str]:
    return sorted(
        value.__qualname__
        for aggregate in AGGREGATES
        for value in vars(aggregate).values()
        if isinstance(value, type) and issubclass(value, Aggregate.Event) and value.__name__ not in {"Event", "Created"}
    )


def test_every_event_type_of_the_domain_has_a_summary_of_its_own():
    assert len(domain_event_types()) >= 20
    assert [name for name in domain_event_types() if name not in SUMMARIES] == []


def test_two_dunning_entries_on_two_invoices_are_told_apart():
    # given one customer with two invoices on two orders, both dunned once
    stream = Stream()
    first, second = issue_invoice("INV-1001", "O-1001"), issue_invoice("INV-1002", "O-1002")
    stream.record(place_order("O-1001"), place_order("O-1002"), first, second)
    dun(first, AFTER_DUE)
    dun(second, AFTER_DUE)
    stream.record(first, second)

    # then the entries of the two steps have the same data but name different invoices
    *_, one, two = entries_of(stream)
    assert one["data"] == two["data"] == {"level": 1}
    assert one["subject"] == {"customer_id": "C-1", "order_id": "O-1001", "invoice_id": "INV-1001"}
    assert two["subject"] == {"customer_id": "C-1", "order_id": "O-1002", "invoice_id": "INV-1002"}
    assert (one["summary"], two["summary"]) == ("dunning level 1 for INV-1001", "dunning level 1 for INV-1002")


def test_a_payment_names_its_invoice_and_its_amount_with_the_currencys_exponent():
    stream = Stream()
    invoice = issue_invoice("INV-1001")
    invoice.receive_payment(amount=eur("50"), at=AT, by=SHOP)
    stream.record(invoice)

    entry = last_entry(stream)

    assert entry["summary"] == "payment 50.00 EUR on INV-1001"
    assert entry["data"] == {"amount": {"amount": "50.00", "currency": "EUR"}}  # the summary never replaces it
    assert (entry["department"], entry["actor"]["source"]) == ("integrator", "shop")


def test_amounts_in_a_currency_without_minor_units_have_no_decimals():
    stream = Stream()
    invoice = issue_invoice("INV-7", amount=Money(Decimal("5000"), "JPY"))
    invoice.receive_payment(amount=Money(Decimal("500"), "JPY"), at=AT, by=SHOP)
    stream.record(invoice)

    assert [e["summary"] for e in entries_of(stream)] == [
        "invoice INV-7 issued for order O-1: 5000 JPY due 2026-03-15", "payment 500 JPY on INV-7",
    ]


def test_order_events_name_their_order_though_they_carry_no_id():
    stream = Stream()
    order = place_order("O-1001")
    order.ship(at=AT, by=SHOP)
    order.deliver(at=AT, by=SHOP)
    order.take_back(lines=[HOSE], at=AT, by=SHOP)
    stream.record(order)

    entries = entries_of(stream)

    assert [e["subject"] for e in entries] == [{"customer_id": "C-1", "order_id": "O-1001"}] * 4
    assert entries[1]["data"] == {}
    assert [e["summary"] for e in entries] == [
        "order O-1001 placed: 2 lines, 100.00 EUR", "order O-1001 shipped", "order O-1001 delivered",
        "order O-1001 partly returned: 1 x HOS-9",
    ]


def test_a_cancelled_order_and_its_credit_note_say_why():
    stream = Stream()
    order, invoice = place_order("O-1"), issue_invoice("INV-1001", "O-1")
    order.cancel(reason="changed my mind", at=AT, by=SHOP)
    invoice.credit(amount=eur("20.00"), reason="order O-1 returned", at=AT, by=SHOP)
    stream.record(order, invoice)

    summaries = [e["summary"] for e in entries_of(stream)]

    assert summaries[1] == "order O-1 cancelled (changed my mind)"
    assert summaries[-1] == "credit note 20.00 EUR on INV-1001 (order O-1 returned)"


def test_complaint_entries_name_the_complaint_and_its_order():
    stream = Stream()
    complaint = file_complaint("CP-1", "O-1001", product_group="kettles")
    complaint.answer(text="we send a new one", at=AT, by=SUE)
    complaint.resolve(note="replaced", at=AT, by=SUE)
    stream.record(complaint)

    entries = entries_of(stream)

    assert [e["subject"] for e in entries] == [{"customer_id": "C-1", "order_id": "O-1001", "complaint_id": "CP-1"}] * 3
    assert [e["summary"] for e in entries] == [
        "complaint CP-1 filed about kettles on order O-1001", "complaint CP-1 answered",
        "complaint CP-1 resolved (replaced)",
    ]
    assert [e["department"] for e in entries] == ["support"] * 3


def test_customer_entries_name_the_customer():
    stream = Stream()
    customer = register_customer("C-9")
    customer.change_contact_details(email="ada@example.com", phone=None, address="1 Main St", at=AT, by=SUE)
    stream.record(customer)

    entries = entries_of(stream)

    assert [e["subject"] for e in entries] == [{"customer_id": "C-9"}] * 2
    assert [e["summary"] for e in entries] == [
        "customer registered: Ada Lovelace", "contact details changed: email, address",
    ]


def test_every_invoice_step_has_its_own_line():
    stream = Stream()
    invoice = issue_invoice("INV-1001")
    invoice.request_detailed_invoice(note="itemise", at=AT, by=SUE)
    invoice.issue_corrected_invoice(amount=eur("80"), due_date=date(2026, 3, 31), note=None, at=AT, by=BOB)
    invoice.open_dispute_about(reason="wrong price", at=AT, by=SUE)
    invoice.resolve_dispute(resolution="price explained", at=AT, by=SUE)
    invoice.grant_deferral(until=date(2026, 3, 31), reason="salary", policy=DunningPolicy(), at=AT, by=SUE)
    for day in (date(2026, 4, 1), date(2026, 4, 15), date(2026, 4, 29)):
        dun(invoice, day)
    invoice.hand_to_collection(open_complaints=[], policy=DunningPolicy(), at=on(date(2026, 5, 13)), by=BOB)
    stream.record(invoice)

    assert [e["summary"] for e in entries_of(stream)] == [
        "invoice INV-1001 issued for order O-1: 100.00 EUR due 2026-03-15",
        "detailed invoice requested for INV-1001 (itemise)",
        "corrected invoice issued for INV-1001: 80.00 EUR, due 2026-03-31",
        "dispute opened on INV-1001 (wrong price)",
        "dispute on INV-1001 resolved (price explained)",
        "payment deferred until 2026-03-31 on INV-1001 (salary)",
        "dunning level 1 for INV-1001", "dunning level 2 for INV-1001",
        "dunning level 3 (final notice) for INV-1001", "INV-1001 handed to collection",
    ]


INVOICE = {"customer_id": "C-1", "order_id": "O-1", "invoice_id": "INV-1001"}


@pytest.mark.parametrize(("name", "attrs", "line"), [
    ("Invoice.WrittenOff", {"amount": eur("20.00"), "reason": "uncollectable"},
     "20.00 EUR written off on INV-1001 (uncollectable)"),
    ("Invoice.DeferralRevoked", {"number": 1, "reason": "broken promise"},
     "payment deferral 1 revoked on INV-1001 (broken promise)"),
    ("Invoice.DeferralShortened", {"number": 2, "until": date(2026, 4, 1), "reason": "paid part"},
     "payment deferral 2 shortened until 2026-04-01 on INV-1001 (paid part)"),
    ("Invoice.CreditTransferred", {"amount": eur("5"), "to_invoice": "INV-1002"},
     "credit 5.00 EUR transferred from INV-1001 to INV-1002"),
    ("Invoice.CreditApplied", {"amount": eur("5"), "from_invoice": "INV-0999"},
     "credit 5.00 EUR from INV-0999 applied to INV-1001"),
])
def test_the_invoice_events_being_added_have_their_lines(name: str, attrs: dict[str, Any], line: str):
    assert summarize(name, attrs, INVOICE) == line


def test_an_unknown_event_type_gets_a_line_made_of_its_name_and_subject():
    assert summarize("Invoice.InterestCharged", {"amount": eur("1.5")}, INVOICE) == (
        "invoice INV-1001: interest charged 1.50 EUR"
    )
    assert summarize("Complaint.Escalated", {"reason": "no answer"}, {"complaint_id": "CP-1", "order_id": "O-1"}) == (
        "complaint CP-1: escalated (no answer)"
    )
    assert summarize("Customer.Merged", {}, {}) == "the customer: merged"


def test_an_event_whose_attributes_differ_from_what_its_summary_expects_gets_the_generic_line():
    # e.g. a write-off recorded with other attribute names than assumed here
    attrs = {"written_off": eur("20.00"), "note": "uncollectable"}
    assert summarize("Invoice.WrittenOff", attrs, INVOICE) == generic("Invoice.WrittenOff", attrs, INVOICE)
    assert summarize("Invoice.WrittenOff", attrs, INVOICE) == "invoice INV-1001: written off (uncollectable)"


def test_free_text_in_a_summary_stays_on_one_short_line():
    stream = Stream()
    invoice = issue_invoice("INV-1001")
    invoice.request_detailed_invoice(note="please\nitemise " + "every line " * 20, at=AT, by=SUE)
    stream.record(invoice)

    summary = last_entry(stream)["summary"]

    assert "\n" not in summary and summary.endswith("…)") and len(summary) < 130
    assert summary.startswith("detailed invoice requested for INV-1001 (please itemise every line")


def test_an_aggregate_projected_before_subjects_were_kept_is_named_from_its_other_documents():
    # given the documents of an invoice as a read store kept them before entries had subjects
    stream = Stream()
    invoice = issue_invoice("INV-1001", "O-1001")
    stream.record(invoice)
    before = stream.fold()
    key = invoice.id.hex
    del before.docs[("journey", key)]["subject"]
    # when a later event of the invoice is projected onto them
    later = Stream()
    dun(invoice, AFTER_DUE)
    later.record(invoice)
    batch = Batch(dict(before.docs))

    fold(batch, [(e, 2) for e, _ in later.positioned])

    # then its entry is named, and the owner document remembers the ids from now on
    [(_, _, entry)] = batch.entries
    assert entry["subject"] == {"customer_id": "C-1", "order_id": "O-1001", "invoice_id": "INV-1001"}
    assert entry["summary"] == "dunning level 1 for INV-1001"
    assert batch.get("journey", key)["subject"] == entry["subject"]
