"""Every decision of a generated history is explained and checks true again, on both stores; a
decision whose recorded facts disagree with the history is reported."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from domain import commands as c
from domain.errors import DomainError
from domain.provenance import DECISIONS
from domain.values import Department, Principal
from services.audit import NotADecisionError
from services.clock import FixedClock
from tests.integration.helpers import START, eur, lines

BILLING = Principal(Department.BILLING, user="bea")
SUPPORT = Principal(Department.SUPPORT, user="sam")


def generated_history(journey, clock: FixedClock, seed: int, customers: int = 6, steps: int = 160) -> int:
    """Customers with orders and invoices, then random department commands over random days;
    the rules refuse many of them (nothing is written then). Returns how many were refused."""
    rng = random.Random(seed)
    for n in range(customers):
        cid = f"c{n}"
        journey.service.execute(c.RegisterCustomer(cid, f"Name {n}", f"n{n}@example.org"), SUPPORT)
        journey.service.execute(c.PlaceOrder(cid, f"o{n}", lines("tools"), "EUR"), SUPPORT)
        journey.service.execute(c.IssueInvoice(cid, f"i{n}", f"o{n}", eur(100), START.date() + timedelta(days=5)), BILLING)
    refused = 0
    for step in range(steps):
        clock.set(clock.now() + timedelta(days=rng.choice((0, 0, 1, 3, 8))))
        n = rng.randrange(customers)
        cid, invoice = f"c{n}", f"i{n}"
        today = clock.now().date()
        command, by = rng.choice([
            (c.DunInvoice(invoice), BILLING),
            (c.DunInvoice(invoice), BILLING),
            (c.HandToCollection(invoice), BILLING),
            (c.GrantDeferral(cid, invoice, today + timedelta(days=rng.choice((2, 10, 120))), "asked"), SUPPORT),
            (c.RequestDetailedInvoice(cid, invoice, "itemise"), SUPPORT),
            (c.IssueCorrectedInvoice(cid, invoice, note="itemised"), BILLING),
            (c.OpenDispute(cid, invoice, "wrong amount"), BILLING),
            (c.ResolveDispute(cid, invoice, "agreed"), BILLING),
            (c.IssueCreditNote(invoice, eur(rng.choice((10, 40, 90))), "goodwill"), BILLING),
            (c.FileComplaint(cid, f"k{step}", f"o{n}", "tools", "it broke"), SUPPORT),
            (c.ReceivePayment(cid, invoice, eur(20)), BILLING),
        ])
        try:
            journey.service.execute(command, by)
        except DomainError:
            refused += 1
    return refused


def test_every_decision_of_a_generated_history_is_explained_and_holds(journey, clock) -> None:
    refused = generated_history(journey, clock, seed=11)
    head = journey.catch_up_views()
    kinds: dict[str, int] = {}
    for event, position in journey.audit.decisions(head, page=7):
        explained = journey.audit.explain(position)
        body = explained.to_json()
        assert body["holds"], (position, body["problems"])
        assert body["checked"] == body["recomputed"]
        assert body["depends_on"] and max(body["depends_on"]) < position
        kinds[body["decision"]] = kinds.get(body["decision"], 0) + 1
        assert type(event).__qualname__ in DECISIONS
    assert refused > 10
    assert set(kinds) >= {"dunning-step", "payment-deferral", "corrected-invoice", "credit-note", "dispute-outcome"}


def test_recorded_facts_that_disagree_with_the_history_are_reported(journey, clock) -> None:
    generated_history(journey, clock, seed=3, customers=2, steps=40)
    head = journey.catch_up_views()
    event, position = next(iter(journey.audit.decisions(head)))
    explained = journey.audit.explain_event(event, position)
    assert explained.problems == []
    forged = dict(explained.recorded or {})
    forged["today"] = "1999-01-01"
    explained.recorded = forged
    assert any("differ from the history in today" in p for p in explained.problems)
    with pytest.raises(NotADecisionError):
        journey.audit.explain(1)


def test_rechecking_every_decision_counts_them_and_finds_none_broken(journey, clock) -> None:
    generated_history(journey, clock, seed=5, customers=3, steps=60)
    head = journey.catch_up_views()
    advanced: list[int] = []
    checked, first_bad, details = journey.audit.recheck(head, advanced.append)
    assert checked == sum(1 for _ in journey.audit.decisions(head)) > 5
    assert (first_bad, details) == (None, [])
    assert sum(advanced) == checked
