"""Credit notes and overpayments in the views: billing and support show what was credited, a
balance that is never negative and the customer's credit, derived once in the domain."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.holds import DunningPolicy, dunning_refusals
from domain.values import Money
from projections.read_models import billing_view, dunning_candidates, standing, support_view
from tests.unit.builders import AT, SHOP, Stream, eur, issue_invoice, place_order

POLICY = DunningPolicy()
TODAY = date(2026, 4, 1)  # every invoice below is overdue


def credited_and_overpaid() -> Stream:
    """C-1: I-1 (100 EUR) credited 100 for a cancellation; I-2 (50 EUR) paid 80; I-3 (100 EUR)
    paid 60 and credited 40 for a partial return; I-4 (40 USD) paid 15, credited 5; I-5 (100 EUR)
    paid in full, then credited 30 for a return."""
    stream = Stream()
    orders = [place_order(f"O-{n}") for n in (1, 2, 3, 5)] + [place_order("O-4", currency="USD")]
    i1 = issue_invoice("I-1", "O-1")
    i2 = issue_invoice("I-2", "O-2", amount=eur("50.00"))
    i3 = issue_invoice("I-3", "O-3")
    i4 = issue_invoice("I-4", "O-4", amount=Money(Decimal("40.00"), "USD"))
    i5 = issue_invoice("I-5", "O-5")
    stream.record(*orders, i1, i2, i3, i4, i5)
    i1.credit(amount=eur("100.00"), reason="order cancelled", at=AT, by=SHOP)
    i2.receive_payment(amount=eur("80.00"), at=AT, by=SHOP)
    i3.receive_payment(amount=eur("60.00"), at=AT, by=SHOP)
    i3.credit(amount=eur("40.00"), reason="kettle returned", at=AT, by=SHOP)
    i4.receive_payment(amount=Money(Decimal("15.00"), "USD"), at=AT, by=SHOP)
    i4.credit(amount=Money(Decimal("5.00"), "USD"), reason="scratched", at=AT, by=SHOP)
    i5.receive_payment(amount=eur("100.00"), at=AT, by=SHOP)
    i5.credit(amount=eur("30.00"), reason="hose returned", at=AT, by=SHOP)
    stream.record(i1, i2, i3, i4, i5)
    return stream


def by_id(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["invoice_id"]: i for i in view["invoices"]}


def test_billing_tracks_what_credit_notes_took_off_an_invoice():
    docs = {d["invoice_id"]: d for d in credited_and_overpaid().snapshot("C-1").of("billing", "invoice")}

    assert {k: (d["paid"], d["credited"]) for k, d in docs.items()} == {
        "I-1": ("0", "100.00"), "I-2": ("80.00", "0"), "I-3": ("60.00", "40.00"),
        "I-4": ("15.00", "5.00"), "I-5": ("100.00", "30.00"),
    }


def test_billing_shows_credited_a_balance_never_negative_and_the_customers_credit():
    view = billing_view(credited_and_overpaid().snapshot("C-1"), today=TODAY, policy=POLICY)

    invoices = by_id(view)
    assert {k: (i["status"], i["credited"], i["balance"], i["credit"]) for k, i in invoices.items()} == {
        "I-1": ("credited", "100.00", "0.00", "0.00"),
        "I-2": ("settled", "0.00", "0.00", "30.00"),
        "I-3": ("credited", "40.00", "0.00", "0.00"),
        "I-4": ("overdue", "5.00", "20.00", "0.00"),
        "I-5": ("settled", "30.00", "0.00", "30.00"),
    }
    assert view["open_balance"] == {"USD": "20.00"}
    assert view["customer_credit"] == {"EUR": "60.00"}
    assert view["overdue"] == ["I-4"]


def test_a_credited_or_overpaid_invoice_is_settled_for_the_hold_rule_and_no_candidate():
    snapshot = credited_and_overpaid().snapshot()

    for doc in snapshot.of("billing", "invoice"):
        refusals = [r.code for r in dunning_refusals(standing(doc, []), TODAY, POLICY)]
        assert ("settled" in refusals) == (doc["invoice_id"] != "I-4"), doc["invoice_id"]
    assert [c["invoice_id"] for c in dunning_candidates(snapshot, TODAY, POLICY)["candidates"]] == ["I-4"]


def test_support_shows_each_invoice_with_the_words_and_values_billing_shows():
    snapshot = credited_and_overpaid().snapshot("C-1")

    support = support_view(snapshot, TODAY, POLICY)
    billing = billing_view(snapshot, today=TODAY, policy=POLICY)

    shown = by_id(support)
    assert {k: (i["status"], i["credited"], i["balance"], i["credit"]) for k, i in shown.items()} == {
        "I-1": ("credited", "100.00", "0.00", "0.00"),
        "I-2": ("settled", "0.00", "0.00", "30.00"),
        "I-3": ("credited", "40.00", "0.00", "0.00"),
        "I-4": ("overdue", "5.00", "20.00", "0.00"),
        "I-5": ("settled", "30.00", "0.00", "30.00"),
    }
    assert support["customer_credit"] == billing["customer_credit"] == {"EUR": "60.00"}
    assert shown == by_id(billing)


def test_a_credit_note_is_a_touchpoint_with_its_business_and_recording_times():
    stream = Stream()
    invoice = issue_invoice()
    invoice.credit(amount=eur("40.00"), reason="kettle returned", at=AT, by=SHOP)
    credit_note = invoice.pending_events[-1]
    stream.record(invoice)

    entries = {e["type"]: e for _, _, e in stream.fold().entries}

    entry = entries["Invoice.CreditNoteIssued"]
    assert entry["data"] == {"amount": {"amount": "40.00", "currency": "EUR"}, "reason": "kettle returned"}
    assert entry["at"] == AT.isoformat()
    assert entry["recorded_at"] == credit_note.timestamp.isoformat() != entry["at"]
    assert entries["Invoice.Issued"]["recorded_at"] is not None
