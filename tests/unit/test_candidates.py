"""The candidates table's rows (projections.candidates): a pre-filter by date and open holds
that finds exactly the invoices the hold rule lets billing take a step on, on any day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.holds import DunningPolicy
from projections.candidates import candidate_row, candidate_rows, dunned_by
from projections.read_models import invoice_view

BASE = date(2026, 3, 1)
days = st.integers(-40, 40).map(lambda n: BASE + timedelta(days=n))


@st.composite
def invoices(draw: Any) -> dict[str, Any]:
    """A billing invoice document with random facts."""
    level = draw(st.integers(0, 3))
    return {
        "kind": "invoice", "customer_id": "C-1", "invoice_id": "I-1", "order_id": "O-1",
        "amount": "100", "paid": draw(st.sampled_from(["0", "40", "100", "120"])),
        "credited": draw(st.sampled_from(["0", "60", "100"])), "currency": "EUR",
        "due_date": draw(days).isoformat(),
        "open_detailed_requests": draw(st.lists(st.just("itemise"), max_size=1)),
        "deferrals": [
            {"until": until.isoformat(), "reason": "salary", "granted_by": "support:sue"}
            for until in draw(st.lists(days, max_size=2))
        ],
        "open_dispute": draw(st.sampled_from([None, "never arrived"])),
        "dunning_level": level,
        "last_dunning_on": draw(days).isoformat() if level or draw(st.booleans()) else None,
        "handed_to_collection": draw(st.booleans()) if level == 3 else False,
        "position": 1,
    }


def found(row: Any, today: date, policy: DunningPolicy) -> bool:
    """What the candidates query asks of a row."""
    return (
        row.dunnable
        and row.next_eligible_on <= today.isoformat()
        and (row.last_dunning_on is None or row.last_dunning_on <= dunned_by(today, policy).isoformat())
    )


@given(invoice=invoices(), complaints=st.lists(st.just("K-1"), max_size=1), today=days,
       interval=st.sampled_from([0, 7, 14]))
def test_a_row_is_found_on_exactly_the_days_the_rule_allows_a_step(invoice, complaints, today, interval):
    policy = DunningPolicy(min_interval=timedelta(days=interval))
    shown = invoice_view(invoice, complaints, today, policy)

    row = candidate_row("k1", invoice, complaints)

    assert found(row, today, policy) == (shown["may_dun"] or shown["may_hand_to_collection"])


def test_a_complaint_open_on_the_order_makes_its_invoices_not_dunnable_and_no_other():
    invoice = {
        "kind": "invoice", "customer_id": "C-1", "invoice_id": "I-1", "order_id": "O-1", "amount": "100",
        "paid": "0", "credited": "0", "currency": "EUR", "due_date": "2026-03-01", "open_detailed_requests": [],
        "deferrals": [], "open_dispute": None, "dunning_level": 0, "last_dunning_on": None,
        "handed_to_collection": False, "position": 1,
    }
    other = {**invoice, "invoice_id": "I-2", "order_id": "O-2"}
    complaint = {"kind": "complaint", "customer_id": "C-1", "complaint_id": "K-1", "order_id": "O-1", "open": True}

    rows = candidate_rows([("a", invoice), ("b", other), ("c", complaint)])

    assert [(r.key, r.dunnable) for r in rows] == [("a", False), ("b", True)]
    resolved = candidate_rows([("a", invoice), ("c", {**complaint, "open": False})])
    assert [(r.key, r.dunnable, r.next_eligible_on) for r in resolved] == [("a", True, "2026-03-02")]
