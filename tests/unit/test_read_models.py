"""The read models (projections.read_models): department views shaped from a snapshot of the
folded documents at a given ``today``, through the domain's hold rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.holds import DunningPolicy, dunning_refusals
from domain.values import Money, Principal
from projections.read_models import (
    billing_view,
    dunning_candidates,
    journey_view,
    support_view,
)
from tests.unit.builders import (
    AT,
    BOB,
    DUE,
    SHOP,
    SUE,
    Stream,
    eur,
    file_complaint,
    issue_invoice,
    on,
    place_order,
    register_customer,
)

POLICY = DunningPolicy()


def billing_journey() -> tuple[Stream, dict[str, Any]]:
    """Customer C-1: I-1 (100 EUR, due 3/15) on O-1 which has open complaint K-1; I-2 (50 EUR)
    paid in full; I-3 (40 USD, due 4/30) with 15 paid. Customer C-2: I-9 (20 EUR, due 3/15)."""
    stream = Stream()
    o1 = place_order("O-1")
    o2 = place_order("O-2")
    o3 = place_order("O-3", currency="USD")
    i1 = issue_invoice("I-1", "O-1")
    i2 = issue_invoice("I-2", "O-2", amount=eur("50.00"))
    i3 = issue_invoice("I-3", "O-3", amount=Money(Decimal("40.00"), "USD"), due_date=date(2026, 4, 30))
    stream.record(o1, o2, o3, i1, i2, i3)
    k1 = file_complaint("K-1", "O-1")
    stream.record(k1)
    i2.receive_payment(amount=eur("50.00"), at=AT, by=SHOP)
    i3.receive_payment(amount=Money(Decimal("15.00"), "USD"), at=AT, by=SHOP)
    o9 = place_order("O-9", customer_id="C-2")
    i9 = issue_invoice("I-9", "O-9", customer_id="C-2", amount=eur("20.00"))
    stream.record(o1, i2, i3, o9, i9)
    return stream, {"O-1": o1, "K-1": k1, "I-1": i1, "I-2": i2, "I-3": i3, "I-9": i9, "O-9": o9}


def by_id(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["invoice_id"]: i for i in view["invoices"]}


def test_billing_view_shows_status_balance_and_holds_as_of_today():
    stream, _ = billing_journey()

    view = billing_view(stream.snapshot("C-1"), today=date(2026, 3, 20), policy=POLICY)

    invoices = by_id(view)
    assert {k: i["status"] for k, i in invoices.items()} == {"I-1": "overdue", "I-2": "settled", "I-3": "open"}
    assert {k: i["balance"] for k, i in invoices.items()} == {"I-1": "100.00", "I-2": "0.00", "I-3": "25.00"}
    assert view["open_balance"] == {"EUR": "100.00", "USD": "25.00"}
    assert view["overdue"] == ["I-1"]
    assert view["open_complaints"] == ["K-1"]
    assert invoices["I-1"]["holds"] == [{"kind": "complaint", "cause": "complaint K-1", "until": None, "ref": "K-1"}]
    assert invoices["I-1"]["may_dun"] is False
    assert invoices["I-1"]["dunning_refusals"] == [
        {"code": "hold:complaint", "detail": "hold: complaint (complaint K-1)"}
    ]
    assert [r["code"] for r in invoices["I-2"]["dunning_refusals"]] == ["settled"]
    assert [r["code"] for r in invoices["I-3"]["dunning_refusals"]] == ["not-due"]
    assert view["as_of"] == "2026-03-20"
    assert view["position"] == stream.head


@pytest.mark.parametrize(
    ("today", "status"),
    [(date(2026, 3, 14), "open"), (DUE, "due-today"), (date(2026, 3, 16), "overdue")],
)
def test_an_invoice_is_overdue_only_after_its_due_date(today, status):
    stream = Stream()
    stream.record(issue_invoice())

    view = billing_view(stream.snapshot("C-1"), today=today, policy=POLICY)

    assert view["invoices"][0]["status"] == status
    assert view["overdue"] == (["I-1"] if status == "overdue" else [])


@pytest.mark.parametrize(
    "today", [DUE, date(2026, 3, 16), date(2026, 3, 29), date(2026, 3, 30), date(2026, 4, 1), date(2026, 4, 2)]
)
def test_the_view_refuses_dunning_exactly_when_the_aggregate_would(today):
    # given an invoice dunned once on 3/16, then deferred until 3/20 and again until 4/1
    stream = Stream()
    invoice = issue_invoice()
    invoice.reach_next_dunning_level(open_complaints=[], policy=POLICY, at=on(date(2026, 3, 16)), by=BOB)
    invoice.grant_deferral(until=date(2026, 3, 20), reason="a", policy=POLICY, at=on(date(2026, 3, 17)), by=BOB)
    invoice.grant_deferral(until=date(2026, 4, 1), reason="b", policy=POLICY, at=on(date(2026, 3, 17)), by=BOB)
    stream.record(invoice)

    # when billing reads the view on ``today``
    [shown] = billing_view(stream.snapshot("C-1"), today=today, policy=POLICY)["invoices"]

    # then the view shows the refusals the hold rule gives for the aggregate
    expected = dunning_refusals(invoice.standing([]), today, POLICY)
    assert shown["dunning_refusals"] == [{"code": r.code, "detail": r.detail} for r in expected]
    assert shown["may_dun"] is (expected == [])
    assert [h["until"] for h in shown["holds"]] == [
        d.until.isoformat() for d in invoice.deferrals if today <= d.until
    ]


def test_the_view_and_the_aggregate_agree_on_the_first_day_dunning_resumes():
    stream = Stream()
    invoice = issue_invoice()
    invoice.reach_next_dunning_level(open_complaints=[], policy=POLICY, at=on(date(2026, 3, 16)), by=BOB)
    invoice.grant_deferral(until=date(2026, 4, 1), reason="b", policy=POLICY, at=on(date(2026, 3, 17)), by=BOB)
    stream.record(invoice)
    snap = stream.snapshot("C-1")

    allowed_on = [
        day for day in (date(2026, 3, 30), date(2026, 4, 1), date(2026, 4, 2))
        if billing_view(snap, today=day, policy=POLICY)["invoices"][0]["may_dun"]
    ]

    assert allowed_on == [date(2026, 4, 2)]
    assert invoice.reach_next_dunning_level(
        open_complaints=[], policy=POLICY, at=on(date(2026, 4, 2)), by=Principal("billing", "bob")
    ) == 2


def test_dunning_candidates_are_the_invoices_of_every_customer_the_rule_lets_billing_dun():
    stream, _ = billing_journey()

    candidates = dunning_candidates(stream.snapshot(), today=date(2026, 3, 20), policy=POLICY)

    # I-1 is held by a complaint, I-2 is paid, I-3 is not due; I-9 of C-2 may be dunned
    assert [(c["customer_id"], c["invoice_id"]) for c in candidates["candidates"]] == [("C-2", "I-9")]
    assert candidates["candidates"][0]["may_dun"] is True
    assert candidates["candidates"][0]["dunning_refusals"] == []


def test_closing_the_complaint_makes_the_invoice_a_dunning_candidate():
    stream, aggregates = billing_journey()
    aggregates["K-1"].resolve(note="replaced", at=AT, by=SUE)
    stream.record(aggregates["K-1"])

    candidates = dunning_candidates(stream.snapshot(), today=date(2026, 3, 20), policy=POLICY)

    assert sorted(c["invoice_id"] for c in candidates["candidates"]) == ["I-1", "I-9"]


def test_support_view_shows_active_promises_and_outstanding_requests_as_of_today():
    stream = Stream()
    invoice = issue_invoice()
    paid = issue_invoice("I-2", amount=eur("10.00"))
    invoice.grant_deferral(until=date(2026, 3, 10), reason="first", policy=POLICY, at=AT, by=BOB)
    invoice.grant_deferral(until=date(2026, 3, 31), reason="second", policy=POLICY, at=AT, by=SUE)
    invoice.request_detailed_invoice(note="itemise", at=AT, by=SUE)
    paid.request_detailed_invoice(note="why?", at=AT, by=SUE)
    paid.issue_corrected_invoice(amount=None, due_date=None, note=None, at=AT, by=BOB)
    paid.receive_payment(amount=eur("10.00"), at=AT, by=SHOP)
    stream.record(invoice, paid)

    view = support_view(stream.snapshot("C-1"), today=date(2026, 3, 10), policy=POLICY)
    later = support_view(stream.snapshot("C-1"), today=date(2026, 3, 11), policy=POLICY)

    assert [(p["reason"], p["active"]) for p in view["promises"]] == [("first", True), ("second", True)]
    assert [(p["reason"], p["active"]) for p in later["promises"]] == [("first", False), ("second", True)]
    assert [(r["invoice_id"], r["note"]) for r in view["open_detailed_invoice_requests"]] == [("I-1", "itemise")]
    assert sorted((i["invoice_id"], i["status"], i["balance"]) for i in view["invoices"]) == [
        ("I-1", "open", "100.00"), ("I-2", "settled", "0.00")
    ]


def test_journey_view_lists_the_customers_touchpoints_only():
    stream, _ = billing_journey()
    stream.record(register_customer("C-2"))

    view = journey_view(stream.snapshot("C-2"))

    assert [t["type"] for t in view["touchpoints"]] == ["Order.Placed", "Invoice.Issued", "Customer.Registered"]
    assert [t["position"] for t in view["touchpoints"]] == sorted(t["position"] for t in view["touchpoints"])
