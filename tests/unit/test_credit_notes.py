"""Credit notes and overpayments: what is owed never goes below zero, what is paid in excess is
the customer's credit, and a settled invoice is never dunned."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.accounts import InvoiceAccount
from domain.errors import CurrencyMismatchError, DomainError, DunningRefusedError
from domain.invoice import credits_for
from domain.values import Money
from tests.unit.builders import (
    AT,
    BOB,
    HOSE,
    KETTLE,
    SHOP,
    dun,
    eur,
    issue_invoice,
    names,
    place_order,
    refusal_codes,
    round_trip,
)

AFTER_DUE = date(2026, 4, 1)


# The account: one derivation of balance, credit and what may still be credited ---------------


@pytest.mark.parametrize(
    ("paid", "credited", "balance", "credit", "creditable", "settled_by"),
    [
        ("0", "0", "100.00", "0.00", "100.00", None),
        ("30.00", "0", "70.00", "0.00", "100.00", None),
        ("100.00", "0", "0.00", "0.00", "100.00", "settled"),
        ("130.00", "0", "0.00", "30.00", "100.00", "settled"),
        ("0", "100.00", "0.00", "0.00", "0.00", "credited"),
        ("60.00", "40.00", "0.00", "0.00", "60.00", "credited"),
        ("100.00", "100.00", "0.00", "100.00", "0.00", "settled"),
        ("30.00", "25.00", "45.00", "0.00", "75.00", None),
    ],
)
def test_an_account_derives_balance_credit_and_what_is_still_creditable(
    paid, credited, balance, credit, creditable, settled_by
):
    account = InvoiceAccount(Decimal("100.00"), Decimal(paid), Decimal(credited))

    assert (str(account.balance), str(account.credit), str(account.creditable)) == (balance, credit, creditable)
    assert account.settled_by == settled_by
    assert account.settled == (settled_by is not None)
    assert account.net == Decimal("100.00") - Decimal(paid) - Decimal(credited)


# Credit notes ---------------------------------------------------------------------------------


def test_a_credit_note_reduces_what_is_owed(invoice):
    invoice.credit(amount=eur("40.00"), reason="kettle returned", at=AT, by=SHOP)

    [credited] = invoice.collect_events()
    assert names([credited]) == ["Invoice.CreditNoteIssued"]
    assert (credited.amount, credited.reason, credited.at, credited.by) == (
        eur("40.00"), "kettle returned", AT, SHOP
    )
    assert invoice.credited == eur("40.00")
    assert invoice.balance == eur("60.00")
    assert invoice.creditable == eur("60.00")


def test_a_credit_note_never_exceeds_what_is_still_creditable(invoice):
    invoice.credit(amount=eur("70.00"), reason="partial return", at=AT, by=SHOP)
    invoice.collect_events()

    with pytest.raises(DomainError, match="at most 30.00 EUR") as refused:
        invoice.credit(amount=eur("30.01"), reason="too much", at=AT, by=SHOP)

    assert refused.value.code == "credit-exceeds-invoice"
    assert invoice.collect_events() == []
    invoice.credit(amount=eur("30.00"), reason="the rest", at=AT, by=SHOP)
    assert invoice.creditable == eur("0.00") and invoice.balance == eur("0.00")


@pytest.mark.parametrize(("amount", "error"), [
    (eur("0"), DomainError), (eur("-5.00"), DomainError), (Money(Decimal("5.00"), "USD"), CurrencyMismatchError),
])
def test_a_credit_note_is_positive_and_in_the_invoice_currency(invoice, amount, error):
    with pytest.raises(error):
        invoice.credit(amount=amount, reason="wrong", at=AT, by=SHOP)

    assert invoice.collect_events() == []


def test_a_credited_invoice_is_settled_and_never_dunned(invoice):
    invoice.credit(amount=eur("100.00"), reason="order cancelled", at=AT, by=SHOP)

    assert invoice.standing([]).balance == Decimal("0.00")
    with pytest.raises(DunningRefusedError) as refused:
        dun(invoice, AFTER_DUE)
    assert refusal_codes(refused) == ["settled"]


def test_a_partly_credited_invoice_is_still_dunned_for_the_rest(invoice):
    invoice.credit(amount=eur("40.00"), reason="kettle returned", at=AT, by=SHOP)

    assert dun(invoice, AFTER_DUE) == 1
    assert invoice.balance == eur("60.00")


def test_crediting_a_paid_invoice_gives_the_customer_credit(invoice):
    invoice.receive_payment(amount=eur("100.00"), at=AT, by=SHOP)
    invoice.credit(amount=eur("25.00"), reason="kettle returned", at=AT, by=SHOP)

    assert invoice.balance == eur("0.00")
    assert invoice.customer_credit == eur("25.00")
    assert invoice.account.settled_by == "settled"


def test_a_credit_note_is_read_back_from_the_store():
    invoice = issue_invoice()
    invoice.credit(amount=eur("12.50"), reason="scratched", at=AT, by=BOB)

    restored, sent, stored = round_trip(invoice)

    assert stored == sent
    assert restored.credited == eur("12.50") and type(restored.credited.amount) is Decimal
    assert restored.balance == eur("87.50")


# Overpayment ---------------------------------------------------------------------------------


def test_an_overpayment_is_accepted_and_becomes_the_customers_credit(invoice):
    invoice.receive_payment(amount=eur("130.00"), at=AT, by=SHOP)

    assert invoice.paid == eur("130.00")
    assert invoice.balance == eur("0.00")
    assert invoice.customer_credit == eur("30.00")
    assert invoice.standing([]).balance == Decimal("-30.00")
    with pytest.raises(DunningRefusedError) as refused:
        dun(invoice, AFTER_DUE)
    assert refusal_codes(refused) == ["settled"]


# What a return or a cancellation credits -------------------------------------------------------


def test_a_cancellation_or_a_whole_return_credits_all_that_is_left(invoice):
    invoice.credit(amount=eur("30.00"), reason="earlier partial return", at=AT, by=SHOP)

    assert invoice.credit_due(None) == eur("70.00")


def test_a_partial_return_credits_the_returned_lines_value_capped_by_what_is_left(invoice):
    order = place_order(lines=[KETTLE, HOSE])  # 2 x 25.00 + 1 x 50.00
    invoice.credit(amount=eur("60.00"), reason="earlier partial return", at=AT, by=SHOP)

    assert order.returned_value([KETTLE]) == eur("50.00")
    assert invoice.credit_due(order.returned_value([HOSE])) == eur("40.00")
    assert invoice.credit_due(order.returned_value([])) == eur("0")


def test_a_partial_return_is_spread_over_the_orders_invoices_and_never_credited_twice():
    first, second = issue_invoice("I-1", amount=eur("30.00")), issue_invoice("I-2", amount=eur("70.00"))
    first.credit(amount=eur("30.00"), reason="cancelled part", at=AT, by=SHOP)

    partial = credits_for([first, second], eur("50.00"))
    whole = credits_for([first, second], None)

    assert [(i.invoice_id, m) for i, m in partial] == [("I-2", eur("50.00"))]
    assert [(i.invoice_id, m) for i, m in whole] == [("I-2", eur("70.00"))]
    third = issue_invoice("I-3", amount=eur("20.00"))
    assert [(i.invoice_id, m) for i, m in credits_for([third, second], eur("50.00"))] == [
        ("I-3", eur("20.00")), ("I-2", eur("30.00"))
    ]
