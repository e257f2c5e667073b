"""Dunning candidates through the projected candidates table: paged, found by date and open
holds, confirmed by the hold rule, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain import commands as c
from domain.complaint import Complaint
from domain.holds import DunningPolicy
from domain.invoice import Invoice
from domain.values import Department, Principal
from projections import read_models
from projections.views import fold
from services.bootstrap import Journey, open_read_store
from services.clock import FixedClock
from services.reads import Reads
from tests.integration.helpers import BILLING, SALES, SUPPORT, customer_with_invoice, eur, lines, open_journey

TODAY = date(2026, 3, 20)
SHOP = Principal(Department.INTEGRATOR, source="shop")
POLICY = DunningPolicy()
#: Histories are made under a shorter interval, so that some last steps are too recent for POLICY.
HASTY = DunningPolicy(min_interval=timedelta(days=3))


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def invoice_history(n: int, rng: random.Random) -> Iterator[Any]:
    """The events of invoice ``n`` in a random state: paid or not, dunned (recently or long
    ago, up to the final notice or handed over), held by a request, a deferral (active or
    expired), a dispute or a complaint on its order (open or resolved), or not yet due."""
    customer, order = f"C{n // 4:05d}", f"O{n:05d}"
    due = TODAY + timedelta(days=rng.randint(-90, 10))
    invoice = Invoice.issue(customer_id=customer, invoice_id=f"I{n:05d}", order_id=order,
                            amount=eur(100), due_date=due, at=at(due - timedelta(days=14)), by=BILLING)
    # Dunning steps taken in the past, each allowed when taken.
    day = due + timedelta(days=1)
    for _ in range(rng.choice([0, 0, 1, 2, 3, 4])):
        if day > TODAY:
            break
        if invoice.dunning_level < 3:
            invoice.reach_next_dunning_level(open_complaints=[], policy=HASTY, at=at(day), by=BILLING)
        else:
            invoice.hand_to_collection(open_complaints=[], policy=HASTY, at=at(day), by=BILLING)
            break
        day += timedelta(days=rng.choice([3, 14, 20]))
    complaint = None
    match rng.randrange(9):
        case 0:
            invoice.receive_payment(amount=eur(100), at=at(TODAY), by=SHOP)
        case 1:
            invoice.request_detailed_invoice(note="itemise", at=at(TODAY), by=SUPPORT)
            if rng.random() < 0.5:
                invoice.issue_corrected_invoice(amount=None, due_date=None, note="done", at=at(TODAY), by=BILLING)
        case 2:
            until = TODAY + timedelta(days=rng.randint(-10, 10))
            invoice.grant_deferral(until=until, reason="salary", policy=DunningPolicy(), at=at(until - timedelta(days=3)), by=SUPPORT)
        case 3:
            invoice.open_dispute_about(reason="never arrived", at=at(TODAY), by=SUPPORT)
            if rng.random() < 0.5:
                invoice.resolve_dispute(resolution="arrived", at=at(TODAY), by=SUPPORT)
        case 4:
            complaint = Complaint(customer_id=customer, complaint_id=f"K{n:05d}", order_id=order,
                                  product_group="garden", text="leaks", at=at(TODAY), by=SUPPORT)
            if rng.random() < 0.5:
                complaint.resolve(note="replaced", at=at(TODAY), by=SUPPORT)
        case 5:
            invoice.receive_payment(amount=eur(40), at=at(TODAY), by=SHOP)
    yield from invoice.collect_events()
    if complaint is not None:
        yield from complaint.collect_events()


def project_invoices(journey: Journey, count: int, seed: int = 7, page: int = 5000) -> int:
    """Fold the histories of ``count`` invoices straight into the journey's read store."""
    rng, events, position = random.Random(seed), [], 0
    for n in range(count):
        for event in invoice_history(n, rng):
            position += 1
            events.append((event, position))
    for start in range(0, len(events), page):
        journey.store.project(journey.service.app.name, events[start : start + page], fold)
    return position


def what_the_rule_finds(journey: Journey) -> list[dict]:
    everything = journey.store.read(journey.service.app.name, None, ("billing",), ("invoice", "complaint"))
    found = read_models.dunning_candidates(everything, journey.clock.now().date(), POLICY)["candidates"]
    return [{**c, "customer": None} for c in found]  # these histories register no customer


def pages(reads: Reads, limit: int) -> Iterator[dict]:
    cursor = None
    while True:
        page = reads.dunning_candidates(limit=limit, cursor=cursor)
        yield page
        if (cursor := page["next_cursor"]) is None:
            return


@pytest.fixture
def journey(database_url):
    journey = open_journey(database_url, FixedClock(at(TODAY)))
    yield journey
    journey.close()


def test_candidates_page_through_ten_thousand_invoices_and_are_what_the_rule_finds(journey):
    position = project_invoices(journey, 10_000)
    expected = what_the_rule_finds(journey)
    assert 1000 < len(expected) < 9000  # many candidates, many invoices that are not

    found: list[dict] = []
    for page in pages(journey.reads, limit=700):
        # Every page: at most the limit, in key order, each candidate confirmed by the rule.
        assert page["position"] == position and page["as_of"] == TODAY.isoformat()
        assert len(page["candidates"]) <= 700
        assert all(c["may_dun"] or c["may_hand_to_collection"] for c in page["candidates"])
        assert all(c["next_step"] == ("dunning" if c["may_dun"] else "collection") for c in page["candidates"])
        found += page["candidates"]

    assert found == expected
    assert {c["next_step"] for c in found} == {"dunning", "collection"}


def test_a_page_ends_the_paging_only_when_nothing_follows(journey):
    project_invoices(journey, 300)
    expected = what_the_rule_finds(journey)

    exact = list(pages(journey.reads, limit=len(expected)))
    one_short = list(pages(journey.reads, limit=len(expected) - 1))

    assert [len(p["candidates"]) for p in exact] == [len(expected)]
    assert [len(p["candidates"]) for p in one_short] == [len(expected) - 1, 1]
    assert [c for p in one_short for c in p["candidates"]] == expected


def test_a_candidate_disappears_while_any_hold_is_on_and_returns_when_it_lifts(journey):
    clock = journey.clock
    customer_with_invoice(journey, "c1", "o1", "i1", due=date(2026, 3, 1))
    customer_with_invoice(journey, "c2", "o2", "i2", due=date(2026, 3, 1))
    run = journey.service.execute

    def candidates() -> list[str]:
        journey.projector.catch_up()
        return [c["invoice_id"] for c in journey.reads.dunning_candidates()["candidates"]]

    assert sorted(candidates()) == ["i1", "i2"]
    # 1. A request for a detailed invoice holds i1 until a corrected invoice answers it.
    run(c.RequestDetailedInvoice("c1", "i1", "itemise"), SUPPORT)
    assert candidates() == ["i2"]
    run(c.IssueCorrectedInvoice("c1", "i1", None, None, "itemised"), BILLING)
    assert sorted(candidates()) == ["i1", "i2"]
    # 2. A deferral holds until and including its last day.
    run(c.GrantDeferral("c1", "i1", date(2026, 3, 25), "salary"), SUPPORT)
    assert candidates() == ["i2"]
    clock.set(at(date(2026, 3, 25)))
    assert candidates() == ["i2"]
    clock.set(at(date(2026, 3, 26)))
    assert sorted(candidates()) == ["i1", "i2"]
    # 3. A dispute, while it is open.
    run(c.OpenDispute("c1", "i1", "never arrived"), SUPPORT)
    assert candidates() == ["i2"]
    run(c.ResolveDispute("c1", "i1", "arrived"), SUPPORT)
    assert sorted(candidates()) == ["i1", "i2"]
    # 4. A complaint on the invoiced order, while it is open.
    run(c.FileComplaint("c1", "k1", "o1", "books", "torn"), SUPPORT)
    assert candidates() == ["i2"]
    run(c.ResolveComplaint("c1", "k1", "replaced"), SUPPORT)
    assert sorted(candidates()) == ["i1", "i2"]
    # 5. A dunning step: not again before the interval has passed; paid: never.
    run(c.DunInvoice("i1"), BILLING)
    assert candidates() == ["i2"]
    clock.set(at(date(2026, 3, 26) + POLICY.min_interval))
    assert sorted(candidates()) == ["i1", "i2"]
    run(c.ReceivePayment("c2", "i2", eur(100)), BILLING)
    assert candidates() == ["i1"]


def test_a_complaint_holds_every_invoice_of_its_order_and_no_other(journey):
    run = journey.service.execute
    customer_with_invoice(journey, "c1", "o1", "i1", due=date(2026, 3, 1))
    run(c.IssueInvoice("c1", "i2", "o1", eur(20), date(2026, 3, 1)), BILLING)
    run(c.PlaceOrder("c1", "o2", lines("toys"), "EUR"), SALES)
    run(c.IssueInvoice("c1", "i3", "o2", eur(20), date(2026, 3, 1)), BILLING)

    def candidates() -> list[str]:
        journey.projector.catch_up()
        return sorted(c["invoice_id"] for c in journey.reads.dunning_candidates()["candidates"])

    run(c.FileComplaint("c1", "k1", "o1", "books", "torn"), SUPPORT)
    assert candidates() == ["i3"]
    run(c.FileComplaint("c1", "k2", "o1", "books", "late"), SUPPORT)
    run(c.ResolveComplaint("c1", "k1", "replaced"), SUPPORT)
    assert candidates() == ["i3"]  # k2 still holds the order
    run(c.ResolveComplaint("c1", "k2", "sorry"), SUPPORT)
    assert candidates() == ["i1", "i2", "i3"]


def test_a_read_store_projected_before_the_candidates_table_existed_fills_it(journey):
    project_invoices(journey, 200)
    expected = what_the_rule_finds(journey)
    with journey.store.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
        cursor.execute(f"DELETE FROM {journey.store.candidates}")  # type: ignore[attr-defined]  # noqa: S608
    assert journey.reads.dunning_candidates()["candidates"] == []

    reopened = open_read_store(journey.location, journey.service)
    try:
        reads = Reads(reopened, journey.service.app.name, journey.clock, POLICY, 0, journey.service.head)
        assert [c for page in pages(reads, 1000) for c in page["candidates"]] == expected
    finally:
        reopened.close()


def test_finding_candidates_reads_the_index_of_invoices_eligible_today_not_every_invoice(journey):
    # 1. Many invoices that are not candidates (paid), a few that are.
    events, position = [], 0
    for n in range(5000):
        due = TODAY - timedelta(days=5)
        invoice = Invoice.issue(customer_id=f"C{n // 4}", invoice_id=f"I{n}", order_id=f"O{n}",
                                amount=eur(100), due_date=due, at=at(due - timedelta(days=14)), by=BILLING)
        if n % 100:
            invoice.receive_payment(amount=eur(100), at=at(TODAY), by=SHOP)
        for event in invoice.collect_events():
            position += 1
            events.append((event, position))
    journey.store.project(journey.service.app.name, events, fold)
    store: Any = journey.store
    # 2. The query the candidates page runs, as the database plans it (with fresh statistics).
    params = (TODAY.isoformat(), (TODAY - POLICY.min_interval).isoformat(), "", 101)
    with store.datastore.transaction(commit=True) as cursor:
        if store.mark == "%s":
            cursor.execute(f"ANALYZE {store.candidates}")
        cursor.execute(("EXPLAIN QUERY PLAN " if store.mark == "?" else "EXPLAIN ") + store.candidates_query, params)
        plan = " ".join(str(value) for row in cursor.fetchall() for value in dict(row).values())

    assert "candidates_eligible" in plan, plan
    assert len(journey.reads.dunning_candidates()["candidates"]) == 50
