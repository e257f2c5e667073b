"""The invoice vocabulary: one derivation of status, balance and the dunning verdict, and the
billing actions that change them (write-off, credit offsets, revoked and shortened promises)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.errors import DomainError, InvalidTransitionError, UnknownError
from domain.invoice import credit_offsets
from domain.invoice_facts import InvoiceStatus, NextStep, invoice_facts
from domain.values import Money
from tests.unit.builders import AT, BOB, DUE, SHOP, SUE, eur, issue_invoice, names, on, round_trip
from tests.unit.test_hold_rule import POLICY


def facts_on(invoice, today: date, complaints: list[str] | None = None):
    return invoice_facts(invoice.standing(complaints or []), invoice.account, today, POLICY)


@pytest.mark.parametrize(
    ("today", "status"),
    [(DUE - timedelta(days=1), InvoiceStatus.OPEN), (DUE, InvoiceStatus.DUE_TODAY),
     (DUE + timedelta(days=1), InvoiceStatus.OVERDUE)],
)
def test_an_unpaid_invoice_is_open_due_today_or_overdue_by_its_due_date(today, status):
    assert facts_on(issue_invoice(), today).status is status


def test_an_invoice_handed_to_collection_is_in_collection_until_nothing_is_owed():
    invoice = issue_invoice()
    day = DUE + timedelta(days=1)
    for _ in range(3):
        invoice.reach_next_dunning_level(open_complaints=[], policy=POLICY, at=on(day), by=BOB)
        day += POLICY.min_interval
    invoice.hand_to_collection(open_complaints=[], policy=POLICY, at=on(day), by=BOB)

    assert facts_on(invoice, day).status is InvoiceStatus.IN_COLLECTION
    invoice.receive_payment(amount=eur("100.00"), at=on(day), by=SHOP)
    assert facts_on(invoice, day).status is InvoiceStatus.SETTLED


def test_settled_credited_and_written_off_say_how_nothing_came_to_be_owed():
    paid, credited, written = issue_invoice("I-1"), issue_invoice("I-2"), issue_invoice("I-3")
    paid.receive_payment(amount=eur("100.00"), at=AT, by=SHOP)
    credited.receive_payment(amount=eur("60.00"), at=AT, by=SHOP)
    credited.credit(amount=eur("40.00"), reason="returned", at=AT, by=BOB)
    written.receive_payment(amount=eur("10.00"), at=AT, by=SHOP)
    assert written.write_off(reason="not worth chasing", at=AT, by=BOB) == eur("90.00")

    assert [facts_on(i, DUE).status for i in (paid, credited, written)] == [
        InvoiceStatus.SETTLED, InvoiceStatus.CREDITED, InvoiceStatus.WRITTEN_OFF]
    assert facts_on(written, DUE + timedelta(days=30)).next_step is None


def test_the_next_step_is_dunning_then_the_hand_off_after_the_final_notice():
    invoice = issue_invoice()
    day = DUE + timedelta(days=1)
    assert facts_on(invoice, day).next_step is NextStep.DUNNING
    for _ in range(3):
        invoice.reach_next_dunning_level(open_complaints=[], policy=POLICY, at=on(day), by=BOB)
        day += POLICY.min_interval

    shown = facts_on(invoice, day)
    assert (shown.next_step, shown.may_hand_to_collection, shown.may_dun) == (NextStep.COLLECTION, True, False)
    assert [r.code for r in shown.refusals] == ["final-level-reached"]
    held = facts_on(invoice, day, ["K-1"])
    assert held.next_step is None
    assert [(h.kind, h.ref) for h in held.holds] == [("complaint", "K-1")]


def test_a_write_off_is_refused_on_a_settled_invoice_and_read_back():
    invoice = issue_invoice()
    invoice.write_off(reason="bankrupt", at=AT, by=BOB)

    with pytest.raises(InvalidTransitionError, match="is settled"):
        invoice.write_off(reason="again", at=AT, by=BOB)
    restored, _, stored = round_trip(invoice)
    assert names(stored)[-1] == "Invoice.WrittenOff"
    assert (restored.balance, restored.written_off) == (eur("0.00"), eur("100.00"))


def test_credit_offsets_pay_the_earliest_due_open_invoice_first_in_the_same_currency():
    overpaid = issue_invoice("I-1")
    overpaid.receive_payment(amount=eur("150.00"), at=AT, by=SHOP)
    later = issue_invoice("I-2", due_date=DUE + timedelta(days=10), amount=eur("30.00"))
    sooner = issue_invoice("I-3", due_date=DUE, amount=eur("40.00"))
    dollars = issue_invoice("I-4", amount=Money(Decimal("10.00"), "USD"))

    offsets = credit_offsets([overpaid, later, sooner, dollars])

    assert [(s.invoice_id, t.invoice_id, str(m)) for s, t, m in offsets] == [
        ("I-1", "I-3", "40.00 EUR"), ("I-1", "I-2", "10.00 EUR")]
    for source, target, amount in offsets:
        source.transfer_credit(amount=amount, to_invoice=target.invoice_id, at=AT, by=BOB)
        target.apply_credit(amount=amount, from_invoice=source.invoice_id, at=AT, by=BOB)
    assert (overpaid.customer_credit, sooner.balance, later.balance) == (eur("0.00"), eur("0.00"), eur("20.00"))
    assert credit_offsets([overpaid, later]) == []


def test_more_credit_than_there_is_cannot_be_transferred_nor_more_applied_than_is_owed():
    invoice = issue_invoice()
    with pytest.raises(DomainError, match="has a credit of 0.00 EUR"):
        invoice.transfer_credit(amount=eur("1.00"), to_invoice="I-2", at=AT, by=BOB)
    with pytest.raises(DomainError, match="owes 100.00 EUR"):
        invoice.apply_credit(amount=eur("100.01"), from_invoice="I-2", at=AT, by=BOB)


def test_a_promise_is_revoked_or_shortened_only_by_the_department_that_made_it():
    invoice = issue_invoice()
    invoice.grant_deferral(until=date(2026, 3, 31), reason="salary", policy=POLICY, at=AT, by=SUE)
    invoice.grant_deferral(until=date(2026, 3, 20), reason="goodwill", policy=POLICY, at=AT, by=BOB)

    with pytest.raises(InvalidTransitionError, match="granted by support") as refused:
        invoice.revoke_deferral(number=1, reason="mine", at=AT, by=BOB)
    assert refused.value.code == "promise-of-another-department"
    invoice.shorten_deferral(number=1, until=date(2026, 3, 10), reason="asked", at=AT, by=SUE)
    invoice.revoke_deferral(number=2, reason="paid soon", at=AT, by=BOB)

    assert [(d.number, d.until) for d in invoice.deferrals] == [(1, date(2026, 3, 10))]
    assert facts_on(invoice, date(2026, 3, 16)).next_step is NextStep.DUNNING  # the shortened one ended
    restored, _, _ = round_trip(invoice)
    assert restored.deferrals == invoice.deferrals


@pytest.mark.parametrize("until", [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 5)])
def test_a_promise_is_shortened_to_today_or_later_and_before_its_last_day(until):
    invoice = issue_invoice()
    invoice.grant_deferral(until=date(2026, 3, 31), reason="salary", policy=POLICY, at=AT, by=SUE)

    with pytest.raises(DomainError, match="may be shortened") as refused:
        invoice.shorten_deferral(number=1, until=until, reason="x", at=AT, by=SUE)
    assert refused.value.code == "invalid-deferral-end"


def test_an_unknown_or_ended_promise_cannot_be_changed():
    invoice = issue_invoice()
    invoice.grant_deferral(until=date(2026, 3, 5), reason="salary", policy=POLICY, at=AT, by=SUE)

    with pytest.raises(UnknownError, match="I-1/2"):
        invoice.revoke_deferral(number=2, reason="x", at=AT, by=SUE)
    with pytest.raises(InvalidTransitionError, match="ended on 2026-03-05"):
        invoice.revoke_deferral(number=1, reason="x", at=on(date(2026, 3, 6)), by=SUE)


def test_a_payment_after_a_write_off_recovers_the_debt_and_is_no_credit():
    invoice = issue_invoice()
    invoice.write_off(reason="gone quiet", at=AT, by=BOB)

    invoice.receive_payment(amount=eur("100.00"), at=AT, by=SHOP)

    assert (invoice.balance, invoice.customer_credit) == (eur("0.00"), eur("0.00"))
    assert facts_on(invoice, DUE).status is InvoiceStatus.SETTLED
    invoice.receive_payment(amount=eur("30.00"), at=AT, by=SHOP)
    assert invoice.customer_credit == eur("30.00")  # only what exceeds the amount


def test_a_lower_corrected_amount_after_a_write_off_shrinks_it_and_gives_no_credit():
    invoice = issue_invoice()
    invoice.write_off(reason="gone quiet", at=AT, by=BOB)

    invoice.issue_corrected_invoice(amount=eur("80.00"), due_date=None, note=None, at=AT, by=BOB)

    assert (invoice.balance, invoice.customer_credit) == (eur("0.00"), eur("0.00"))
    assert (invoice.account.effective_write_off, facts_on(invoice, DUE).status) == (Decimal("80.00"), "written-off")
    assert credit_offsets([invoice, issue_invoice("I-2")]) == []


def test_credit_never_pays_an_invoice_the_customer_disputes():
    overpaid = issue_invoice("I-1")
    overpaid.receive_payment(amount=eur("150.00"), at=AT, by=SHOP)
    disputed = issue_invoice("I-2", amount=eur("30.00"))
    disputed.open_dispute_about(reason="never ordered", at=AT, by=SHOP)

    assert credit_offsets([overpaid, disputed]) == []
