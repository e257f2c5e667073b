"""The department views projected from the one stream: catch-up, exactly-once, resume,
batching, live projection and one-position reads, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from domain import commands as c
from domain.complaint import Complaint
from domain.currencies import format_amount
from domain.holds import active_holds
from domain.invoice import Invoice
from projections.encoding import jsonable
from projections.views import fold
from services.clock import FixedClock
from services.projector import Projector
from services.reads import BeyondHeadError, NotCaughtUpError
from tests.integration.helpers import (
    BILLING,
    START,
    SUPPORT,
    customer_with_invoice,
    dump,
    dump_batch,
    eur,
    eventful_history,
    fold_in_memory,
    fresh_read_store,
    open_journey,
    stream,
)

CUSTOMERS = ["c1", "c2"]


@pytest.fixture
def fresh_store(journey, tmp_path):
    """A second, empty read store over the same event store."""
    store = fresh_read_store(journey, "rebuild", tmp_path)
    yield store
    store.close()


class FoldSpy:
    """The real fold, remembering the positions it was given."""

    def __init__(self) -> None:
        self.positions: list[int] = []

    def __call__(self, batch, events) -> None:
        self.positions += [p for _, p in events]
        fold(batch, events)


def test_catch_up_projects_every_touchpoint_and_the_views_say_what_the_domain_says(journey, clock):
    ids = eventful_history(journey, clock)

    reached = journey.projector.catch_up()

    assert reached == journey.service.head() == journey.reads.position()
    repo = journey.service.app.repository
    today = clock.now().date()
    for customer, (*_, first, second) in ids.items():
        views = journey.reads.views(customer)
        billing = {i["invoice_id"]: i for i in views["billing"]["invoices"]}
        support = {i["invoice_id"]: i for i in views["support"]["invoices"]}
        open_complaints: list[str] = []
        for invoice_id in (first, second):
            invoice = repo.get(Invoice.create_id(invoice_id))
            on_order = [
                k for k in journey.service.app.recorder.members("order-complaint", invoice.order_id)
                if not repo.get(Complaint.create_id(k)).resolved
            ]
            open_complaints += on_order
            shown = billing[invoice_id]
            assert shown["balance"] == format_amount(invoice.balance.amount, "EUR")
            assert shown["dunning_level"] == invoice.dunning_level
            assert shown["handed_to_collection"] == invoice.handed_to_collection
            assert shown["holds"] == jsonable(active_holds(invoice.standing(on_order), today))
            assert Counter(
                (p["until"], p["reason"]) for p in views["support"]["promises"] if p["invoice_id"] == invoice_id
            ) == Counter((d.until.isoformat(), d.reason) for d in invoice.deferrals)
            assert support[invoice_id] == shown
        assert sorted(views["billing"]["open_complaints"]) == sorted(open_complaints)
        assert sorted(views["support"]["open_complaints"]) == sorted(open_complaints)
    # Spot checks of the history's outcome.
    c1 = journey.reads.billing("c1")
    assert c1["open_balance"] == {"EUR": "60.00"}  # i1: 90 - 30; i2 credited when o2 was cancelled
    i4 = journey.reads.billing("c2")["invoices"][1]
    assert (i4["invoice_id"], i4["dunning_level"], i4["handed_to_collection"]) == ("i4", 3, True)
    touchpoints = journey.reads.journey("c2")["touchpoints"]
    assert [t["type"] for t in touchpoints][:3] == ["Customer.Registered", "Order.Placed", "Invoice.Issued"]


def test_projecting_already_projected_events_changes_nothing(journey, clock):
    eventful_history(journey, clock)
    head = journey.projector.catch_up()
    before = dump(journey.store, CUSTOMERS)
    events = list(stream(journey))
    spy = FoldSpy()

    again = journey.store.project("journey", events, spy)

    assert again == head
    assert spy.positions == []
    assert dump(journey.store, CUSTOMERS) == before


def test_a_batch_overlapping_projected_events_applies_only_the_new_ones(journey, clock, fresh_store):
    eventful_history(journey, clock)
    journey.projector.catch_up()
    events = list(stream(journey))
    half = len(events) // 2
    fresh_store.project("journey", events[:half], fold)
    spy = FoldSpy()

    reached = fresh_store.project("journey", events[half // 2 :], spy)

    assert reached == events[-1][1]
    assert spy.positions == [p for _, p in events[half:]]
    assert dump(fresh_store, CUSTOMERS) == dump(journey.store, CUSTOMERS)


def test_projection_resumes_after_a_restart_as_if_never_interrupted(database_url, tmp_path):
    # 1. Record a history and project part of it.
    clock = FixedClock(START)
    journey = open_journey(database_url, clock)
    eventful_history(journey, clock)
    events = list(stream(journey))
    part = events[: len(events) // 3]
    journey.store.project("journey", part, fold)
    journey.close()

    # 2. Restart: a new bootstrap resumes from the tracking position.
    journey = open_journey(database_url, clock)
    uninterrupted = fresh_read_store(journey, "rebuild", tmp_path)
    try:
        assert journey.projector.position() == part[-1][1]
        spy = FoldSpy()
        journey.projector.store = _SpyingStore(journey.store, spy)
        journey.projector.catch_up()
        Projector(journey.service.app, uninterrupted).catch_up()

        # 3. Only the rest was folded, each event once, and the result equals one
        #    uninterrupted catch-up.
        assert spy.positions and min(spy.positions) > part[-1][1]
        assert spy.positions == sorted(set(spy.positions))
        assert dump(journey.store, CUSTOMERS) == dump(uninterrupted, CUSTOMERS)
    finally:
        uninterrupted.close()
        journey.close()


def test_small_batches_project_the_same_views_as_large_ones(database_url, tmp_path):
    clock = FixedClock(START)
    journey = open_journey(database_url, clock, projector_batch_size=7)
    large = fresh_read_store(journey, "large", tmp_path)
    try:
        eventful_history(journey, clock)
        calls = _CountingStore(journey.store)
        journey.projector.store = calls

        journey.projector.catch_up()
        Projector(journey.service.app, large, batch_size=1000).catch_up()

        head = journey.service.head()
        assert head >= 30
        assert calls.ends == [min(end, head) for end in range(7, head + 7, 7)]
        small_views = dump(journey.store, CUSTOMERS)
        assert small_views == dump(large, CUSTOMERS)
        assert small_views["position"] == head
        # Both equal the whole stream folded in memory.
        expected = dump_batch(fold_in_memory(journey), CUSTOMERS)
        assert {k: small_views[k] for k in ("docs", "entries")} == expected
    finally:
        large.close()
        journey.close()


def test_live_projection_reaches_each_write_within_the_wait(database_url):
    journey = open_journey(database_url, FixedClock(START), read_wait_seconds=10)
    try:
        journey.start_projecting()
        positions = customer_with_invoice(journey)
        for amount in ("10", "20", "30"):
            written = journey.service.execute(c.ReceivePayment("c1", "i1", eur(amount)), BILLING)

            journey.reads.wait_for(written.position)  # raises NotCaughtUpError after the wait

            billing = journey.reads.billing("c1", min_position=written.position)
            assert billing["position"] >= written.position > positions[-1]
        assert billing["open_balance"] == {"EUR": "40.00"}
        assert journey.thread is not None
        assert (journey.thread.state.status, journey.thread.state.failures) == ("running", 0)
    finally:
        journey.close()


def test_live_projection_ends_where_a_catch_up_from_scratch_ends(database_url, tmp_path):
    clock = FixedClock(START)
    journey = open_journey(database_url, clock, read_wait_seconds=10)
    rebuilt = fresh_read_store(journey, "rebuild", tmp_path)
    try:
        # 1. Project live while the history is written (woken by each write, and on PostgreSQL
        #    by the store's NOTIFY too).
        journey.start_projecting()
        eventful_history(journey, clock)
        journey.reads.wait_for(journey.service.head())

        # 2. The same stream, caught up in one go into an empty store.
        Projector(journey.service.app, rebuilt).catch_up()

        assert dump(journey.store, CUSTOMERS) == dump(rebuilt, CUSTOMERS)
    finally:
        rebuilt.close()
        journey.close()


def test_a_read_beyond_the_head_is_refused_at_once(database_url):
    journey = open_journey(database_url, FixedClock(START), read_wait_seconds=60)
    try:
        journey.start_projecting()
        customer_with_invoice(journey)
        head = journey.service.head()
        journey.reads.wait_for(head)

        with pytest.raises(BeyondHeadError) as beyond:
            journey.reads.views("c1", min_position=head + 5)

        assert (beyond.value.head, beyond.value.wanted) == (head, head + 5)
    finally:
        journey.close()


def test_a_read_the_views_have_not_reached_is_not_caught_up_after_the_wait(database_url):
    journey = open_journey(database_url, FixedClock(START), read_wait_seconds=0.2)
    try:
        customer_with_invoice(journey)  # nobody projects
        head = journey.service.head()

        with pytest.raises(NotCaughtUpError) as late:
            journey.reads.views("c1", min_position=head)

        assert (late.value.position, late.value.wanted) == (0, head)
    finally:
        journey.close()


def test_views_answer_billing_and_support_from_one_position(journey, clock):
    eventful_history(journey, clock)
    journey.projector.catch_up()

    views = journey.reads.views("c1")

    assert views["position"] == views["billing"]["position"] == views["support"]["position"]
    assert views["position"] == journey.service.head()
    assert [i["invoice_id"] for i in views["billing"]["invoices"]] == [
        i["invoice_id"] for i in views["support"]["invoices"]
    ]


def test_views_stay_at_one_position_while_the_projector_runs(database_url):
    clock = FixedClock(datetime(2024, 1, 1, 9, tzinfo=UTC))
    journey = open_journey(database_url, clock, read_wait_seconds=10)
    try:
        customer_with_invoice(journey, due=date(2024, 3, 1))
        journey.start_projecting()
        for n in range(20):
            # Alternate a billing fact and a support fact, reading between the writes.
            if n % 2:
                journey.service.execute(c.ReceivePayment("c1", "i1", eur(1)), BILLING)
            else:
                journey.service.execute(c.RequestDetailedInvoice("c1", "i1", f"request {n}"), SUPPORT)
            views = journey.reads.views("c1", min_position=3)
            billing, support = views["billing"], views["support"]
            assert billing["position"] == support["position"] == views["position"]
            [invoice], [same] = billing["invoices"], support["invoices"]
            assert invoice == same
            assert len(invoice["holds"]) == len(support["open_detailed_invoice_requests"])
        journey.reads.wait_for(journey.service.head())
        assert journey.reads.views("c1")["billing"]["invoices"][0]["balance"] == "90.00"
    finally:
        journey.close()




class _SpyingStore:
    """A read store whose every projection goes through ``fold``."""

    def __init__(self, store, spy) -> None:
        self._store, self._spy = store, spy

    def project(self, application_name, events, fold_, *args, **kwargs):  # noqa: ARG002 -- the spy folds
        return self._store.project(application_name, events, self._spy, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._store, name)


class _CountingStore:
    """A read store that remembers the position each projected batch ended at."""

    def __init__(self, store) -> None:
        self._store = store
        self.ends: list[int] = []

    def project(self, application_name, events, fold_, *args, **kwargs):
        reached = self._store.project(application_name, events, fold_, *args, **kwargs)
        self.ends.append(reached)
        return reached

    def __getattr__(self, name):
        return getattr(self._store, name)
