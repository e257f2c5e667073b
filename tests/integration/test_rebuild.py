"""Rebuilding the views without downtime (``services/rebuild.py``): new tables filled from the
stream, switched in atomically; reads keep answering; interruptions leave the live views alone."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest

from adapters.rebuild_tables import TABLES, ScratchAheadError, scratch_store
from adapters.view_diff import walk
from domain import commands as c
from domain.contact import Channel, Purpose
from domain.errors import UnknownError
from projections.lists import SOURCES
from projections.views import VIEWS, fold, fold_of
from services.bootstrap import Journey
from services.clock import FixedClock
from services.rebuild import REBUILD, RebuildRefusedError, diff_views, discard, pages, partial_rebuild, rebuild
from tests.integration.helpers import (
    BILLING,
    SALES,
    START,
    customer_with_invoice,
    eur,
    eventful_history,
    open_journey,
)


def tables(journey: Journey) -> dict[str, list[dict[str, Any]]]:
    """Every row of every view table, bodies parsed, in key order."""
    import json

    store: Any = journey.store
    out: dict[str, list[dict[str, Any]]] = {}
    with store.datastore.transaction(commit=False) as cursor:
        for table in TABLES:
            out[table] = [
                {**r, "body": json.loads(r["body"])} if r.get("body") else r
                for rows in walk(cursor, store, table) for r in rows
            ]
    return out


def history(journey: Journey, customers: int = 6) -> None:
    """Two eventful customers and a few plain ones: every view and table gets rows."""
    eventful_history(journey, journey.clock)  # type: ignore[arg-type]
    for n in range(customers):
        customer_with_invoice(journey, f"p{n}", f"po{n}", f"pi{n}", "40", date(2024, 5, 1))
    for n in range(2):  # marketing's documents and outbox rows; loyalty's cards
        journey.service.execute(c.GiveConsent(f"p{n}", Channel.LETTER, Purpose.MARKETING, "store"), SALES)
        journey.service.execute(c.ContactCustomer(f"p{n}", f"K-{n}", Channel.LETTER, Purpose.MARKETING, "offer"), SALES)
        journey.service.execute(c.EnrollInLoyalty(f"p{n}"), SALES)


@pytest.fixture
def journey(database_url):
    journey = open_journey(database_url, FixedClock(START), projector_batch_size=7)
    history(journey)
    journey.projector.catch_up()
    yield journey
    journey.close()


def test_a_rebuild_equals_the_incrementally_projected_views(journey):
    before = tables(journey)
    assert all(before[t] for t in TABLES)

    done = rebuild(journey, page_size=11)

    assert done.switched and done.resumed_from is None
    assert done.position == journey.service.head() == journey.reads.position()
    assert tables(journey) == before
    assert partial_rebuild(journey) is None  # nothing left beside the live views
    # The switched-in tables are the live ones: the projector goes on projecting into them.
    paid = journey.service.execute(c.ReceivePayment("p1", "pi1", eur(40)), BILLING)
    journey.projector.catch_up()
    assert journey.reads.position() == paid.position
    assert journey.reads.billing("p1")["open_balance"] == {}


def test_an_interrupted_rebuild_leaves_the_live_views_and_resumes_to_the_same_result(journey):
    before = tables(journey)
    answers = journey.reads.views("c1")
    rounds = iter(range(3))

    stopped = rebuild(journey, page_size=10, stopping=lambda: next(rounds, None) is None)

    # 1. Stopped after some pages: the live views answer as before, the new tables wait.
    assert not stopped.switched and 0 < stopped.position < journey.service.head()
    assert journey.reads.views("c1") == answers and tables(journey) == before
    assert partial_rebuild(journey) == stopped.position
    # 2. A failure in the middle (here: of the progress display) changes nothing either.
    def fail(_: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rebuild(journey, page_size=10, advance=fail)
    assert partial_rebuild(journey) == stopped.position + 10 and tables(journey) == before
    # 3. Run again, it resumes where the new tables stand and ends as a full rebuild would.
    resumed = rebuild(journey, page_size=10)
    assert resumed.switched and resumed.resumed_from == stopped.position + 10
    assert resumed.events == journey.service.head() - resumed.resumed_from
    assert tables(journey) == before


def test_a_discarded_rebuild_drops_its_tables_and_the_next_one_starts_afresh(journey):
    rebuild(journey, page_size=10, stopping=lambda: True)
    assert partial_rebuild(journey) == 10

    assert discard(journey) == 10
    assert partial_rebuild(journey) is None and discard(journey) is None
    done = rebuild(journey, page_size=10)
    assert done.resumed_from is None and done.events == journey.service.head()


def test_events_written_during_a_rebuild_are_in_the_views_after_the_switch(journey):
    journey.start_projecting()
    written: list[int] = []

    def write_meanwhile() -> bool:
        n = len(written)
        if n < 3:
            customer = f"new{n}"
            written.append(journey.service.execute(c.RegisterCustomer(customer, "New", f"{customer}@example.com"),
                                                   SALES).position)
            journey.reads.wait_for(written[-1])  # the live projector projected it into the old tables
        return False

    done = rebuild(journey, page_size=10, stopping=write_meanwhile)

    assert done.switched and done.position >= written[-1]
    journey.reads.wait_for(journey.service.head())
    for n in range(3):
        assert [t["type"] for t in journey.reads.journey(f"new{n}")["touchpoints"]] == ["Customer.Registered"]


def test_the_switch_folds_what_the_live_views_applied_beyond_the_new_tables(journey):
    """The live views went further than the new tables (a projector ran meanwhile): the switch,
    holding the live tracking row, folds the difference into the new tables before renaming."""
    before = tables(journey)
    stopped = rebuild(journey, page_size=10, stopping=lambda: True)
    scratch: Any = scratch_store(journey.store, REBUILD)
    app = journey.service.app
    assert stopped.position < journey.reads.position()

    reached = scratch.swap(journey.store, app.name, lambda a, b: pages(app, a, b, 10), fold)

    assert reached == journey.service.head() == journey.reads.position()
    assert tables(journey) == before


def test_reads_never_answer_an_empty_view_or_an_unknown_customer_while_rebuilds_switch(journey):
    journey.start_projecting()
    stop, failures, reads = threading.Event(), [], [0]

    def reader(customer: str) -> None:
        while not stop.is_set():
            try:
                views = journey.reads.views(customer)
                entries = journey.reads.journey(customer)["touchpoints"]
                if not views["billing"]["invoices"] or not entries:
                    failures.append(f"{customer}: empty view at {views['position']}")
                reads[0] += 1
            except UnknownError as error:
                failures.append(f"{customer}: {error}")
            except Exception as error:  # noqa: BLE001 -- any failure of a read is reported
                failures.append(f"{customer}: {error!r}")

    threads = [threading.Thread(target=reader, args=(cid,)) for cid in ("c1", "c2", "p3")]
    for thread in threads:
        thread.start()
    try:
        for round_, view in enumerate((None, "billing", "journey", None)):  # every view, then one alone
            paid = journey.service.execute(c.ReceivePayment("p0", "pi0", eur(1)), BILLING)
            done = rebuild(journey, view=view, page_size=5)
            assert done.switched, round_
            journey.reads.wait_for(paid.position)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not failures, failures[:5]
    assert reads[0] > 0
    assert journey.reads.billing("p0")["open_balance"] == {"EUR": "36.00"}


def test_an_untouched_store_diffs_clean(journey):
    found = diff_views(journey, page_size=9)

    assert found.ok, found.differences
    assert found.position == journey.reads.position() and found.rows > 0
    assert found.differences == () and found.first_position is None
    assert partial_rebuild(journey) is None


def test_a_view_document_or_entry_altered_in_the_database_is_found(journey):
    store: Any = journey.store
    with store.datastore.transaction(commit=True) as cursor:
        cursor.execute(
            f"UPDATE {store.docs} SET body = replace(body, '\"dunning_level\":1', '\"dunning_level\":0') "
            f"WHERE view = 'billing' AND body LIKE '%\"dunning_level\":1%'"
        )
        cursor.execute(f"DELETE FROM {store.entries} WHERE position = 5")

    found = diff_views(journey)

    assert not found.ok
    assert any(d.startswith("docs ") and d.endswith("/billing") for d in found.differences)
    assert "entries 5" in found.differences and found.first_position == 5


def owned_by(table: str, row: dict[str, Any]) -> str:
    """The view a row of a view table belongs to (``adapters.rebuild_tables.view_rows``)."""
    if table == "docs":
        return str(row["view"])
    if table == "lists":
        return SOURCES[row["list"]]
    return {"entries": "journey", "candidates": "billing"}[table]


def split(rows: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """``tables()`` by the view each row belongs to."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {view: {t: [] for t in TABLES} for view in VIEWS}
    for table, table_rows in rows.items():
        for row in table_rows:
            out[owned_by(table, row)][table].append(row)
    return out


def damage(journey: Journey) -> None:
    """Delete rows of every view directly in the database: a document of each view, a journey
    entry, a dunning candidate, a row of each list."""
    store: Any = journey.store
    with store.datastore.transaction(commit=True) as cursor:
        for view in VIEWS:
            cursor.execute(f"DELETE FROM {store.docs} WHERE key = (SELECT min(key) FROM {store.docs} "
                           f"WHERE view = '{view}') AND view = '{view}'")
        cursor.execute(f"DELETE FROM {store.entries} WHERE position = 5")
        cursor.execute(f"DELETE FROM {store.candidates} WHERE key = (SELECT min(key) FROM {store.candidates})")
        for name in SOURCES:
            cursor.execute(f"DELETE FROM {store.lists} WHERE list = '{name}' AND key = "
                           f"(SELECT min(key) FROM {store.lists} WHERE list = '{name}')")


def test_a_view_rebuilt_alone_gets_its_rows_back_and_leaves_every_other_view_as_it_was(journey):
    before = split(tables(journey))
    damage(journey)
    damaged = split(tables(journey))
    assert all(damaged[view] != before[view] for view in VIEWS)

    order = ("billing", "journey", "customers", "marketing", "loyalty", "support")
    assert set(order) == set(VIEWS)
    for n, view in enumerate(order):
        done = rebuild(journey, view=view, page_size=9)

        assert done.switched and done.position == journey.service.head() == journey.reads.position()
        now = split(tables(journey))
        assert now[view] == before[view], view
        rebuilt = order[: n + 1]
        assert all(now[other] == damaged[other] for other in VIEWS if other not in rebuilt), view
        assert partial_rebuild(journey, view) is None
    assert diff_views(journey).ok


def test_a_view_rebuild_resumes_or_is_discarded_and_folds_what_was_written_meanwhile(journey):
    journey.start_projecting()
    stopped = rebuild(journey, view="billing", page_size=10, stopping=lambda: True)
    assert not stopped.switched and partial_rebuild(journey, "billing") == 10
    assert partial_rebuild(journey) is None and partial_rebuild(journey, "support") is None
    assert discard(journey, "billing") == 10 and partial_rebuild(journey, "billing") is None
    rebuild(journey, view="billing", page_size=10, stopping=lambda: True)
    paid: list[int] = []

    def pay_meanwhile() -> bool:
        if len(paid) < 2:
            paid.append(journey.service.execute(c.ReceivePayment("p2", "pi2", eur(15)), BILLING).position)
            journey.reads.wait_for(paid[-1])
        return False

    done = rebuild(journey, view="billing", page_size=10, stopping=pay_meanwhile)

    assert done.switched and done.resumed_from == 10 and done.position >= paid[-1]
    assert journey.reads.billing("p2")["open_balance"] == {"EUR": "10.00"}
    assert diff_views(journey).ok


def test_a_view_rebuild_never_moves_past_the_live_views(journey):
    """The new tables of one view stop at the live views' position; tables found further on
    (the live projector is behind the stream) are refused at the switch, not switched in."""
    paid = journey.service.execute(c.ReceivePayment("p1", "pi1", eur(5)), BILLING)  # not yet projected
    live = journey.reads.position()
    assert live < paid.position

    done = rebuild(journey, view="billing", page_size=1000)
    assert done.position == live == journey.reads.position()
    app = journey.service.app
    scratch: Any = scratch_store(journey.store, f"{REBUILD}_billing")
    scratch.project(scratch.tracked_as(app.name), list(next(pages(app, 0, None, 1000))), fold_of("billing"))
    with pytest.raises(ScratchAheadError):
        scratch.swap_view(journey.store, app.name, lambda a, b: pages(app, a, b, 10), fold_of("billing"), "billing")
    assert journey.reads.position() == live and partial_rebuild(journey, "billing") == paid.position
    with pytest.raises(RebuildRefusedError):
        rebuild(journey, view="ledger")
