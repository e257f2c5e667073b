"""Finding and listing through the list table, on SQLite and PostgreSQL alike: customer search,
paging that stays stable while others write, each worklist's filters, receivables buckets and
totals, one document by its id, and a read store projected before the table existed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain import commands as c
from domain.contact import Channel, Purpose
from domain.errors import UnknownError
from domain.values import Money
from projections.list_queries import complaints_query, receivables_query
from projections.lists import ListRow
from services.bootstrap import Journey, open_read_store
from services.clock import FixedClock
from services.cursors import InvalidCursorError
from services.lists import Lists
from services.reads import Reads
from tests.integration.helpers import BILLING, SALES, SUPPORT, eur, lines, open_journey

TODAY = date(2026, 3, 20)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


@pytest.fixture
def journey(database_url):
    journey = open_journey(database_url, FixedClock(at(TODAY)))
    yield journey
    journey.close()


def lists_of(journey: Journey) -> Lists:
    journey.projector.catch_up()
    return Lists(journey.reads)


def register(journey: Journey, customer: str, name: str, email: str, phone: str | None = None) -> None:
    journey.service.execute(c.RegisterCustomer(customer, name, email, None, phone, "Hauptstr. 1\n10115 Berlin"), SALES)


def invoiced(journey: Journey, customer: str, n: str, due: date, amount: Money | None = None) -> None:
    """An order ``O<n>`` of ``customer`` and its invoice ``I<n>``."""
    run = journey.service.execute
    run(c.PlaceOrder(customer, f"O{n}", lines("garden"), (amount or eur(20)).currency), SALES)
    run(c.IssueInvoice(customer, f"I{n}", f"O{n}", amount or eur(20), due), BILLING)


def every_page(read: Any, limit: int, between: Any = None, **filters: Any) -> Iterator[dict]:
    cursor = None
    while True:
        page = read(limit=limit, cursor=cursor, **filters)
        yield page
        if (cursor := page["next_cursor"]) is None:
            return
        if between:
            between()


def ids(page: dict, name: str, field: str) -> list[str]:
    return [item[field] for item in page[name]]


def test_customers_are_found_by_name_email_phone_or_id_prefix_whatever_the_case(journey):
    register(journey, "HW-1001", "Max Mustermann", "max@example.org", "+49 30 1234567")
    register(journey, "hw-2002", "Erika Musterfrau", "erika@shop.example", "030/765 4321")
    register(journey, "B-3", "Anna 100% Sicher", "anna_s@example.org")
    journey.service.execute(c.ChangeContactDetails("B-3", email="anna@new.example"), SALES)
    lists = lists_of(journey)

    def found(q: str) -> list[str]:
        return ids(lists.customers(q), "customers", "customer_id")

    assert found("muster") == ["HW-1001", "hw-2002"]  # id order, case-folded
    assert found("MAX@EXAMPLE") == ["HW-1001"]
    assert found("hw-") == ["HW-1001", "hw-2002"]
    assert found("w-1") == []  # an id matches by its start only
    assert found("30 123-45 67") == ["HW-1001"]  # phone: spaces and punctuation ignored
    assert found("(030) 765") == ["hw-2002"]
    assert found("100%") == ["B-3"] and found("%") == ["B-3"]  # wildcards are literal
    assert found("anna_s") == []  # the email was changed
    assert found("@new.") == ["B-3"]
    assert lists.customers("nobody")["customers"] == []
    everybody = lists.customers()
    assert ids(everybody, "customers", "customer_id") == ["B-3", "HW-1001", "hw-2002"]
    assert everybody["customers"][1] == {
        "customer_id": "HW-1001", "name": "Max Mustermann", "email": "max@example.org",
        "phone": "+49 30 1234567", "address": "Hauptstr. 1\n10115 Berlin",
    }
    assert everybody["position"] == journey.reads.position()


def test_paging_with_the_cursor_shows_every_customer_once_while_others_register(journey):
    for n in range(0, 40, 2):
        register(journey, f"C{n:03d}", f"Customer {n}", f"c{n}@example.org")
    lists = lists_of(journey)
    newcomers = iter(range(1, 40, 2))

    def somebody_registers() -> None:  # before and after the pages read so far
        for _ in range(3):
            n = next(newcomers, None)
            if n is not None:
                register(journey, f"C{n:03d}", f"Customer {n}", f"c{n}@example.org")
        journey.projector.catch_up()

    pages = list(every_page(lists.customers, 6, somebody_registers))
    seen = [cid for page in pages for cid in ids(page, "customers", "customer_id")]

    assert len(seen) == len(set(seen)) and seen == sorted(seen)  # none twice, in order
    assert {f"C{n:03d}" for n in range(0, 40, 2)} <= set(seen)  # none of the first ones missed
    assert all(len(page["customers"]) <= 6 for page in pages)
    with pytest.raises(InvalidCursorError):
        lists.customers(cursor="not a cursor")
    cursor = lists.open_complaints(limit=1)["next_cursor"] or pages[0]["next_cursor"]
    with pytest.raises(InvalidCursorError):  # a cursor of another list
        lists.in_collection(cursor=cursor)


def test_open_complaints_are_listed_oldest_first_by_product_group_and_age(journey):
    run, clock = journey.service.execute, journey.clock
    register(journey, "c1", "Ann", "ann@example.org")
    run(c.PlaceOrder("c1", "o1", lines("garden", "toys"), "EUR"), SALES)
    filed = {"k1": (40, "garden"), "k2": (20, "toys"), "k3": (10, "garden"), "k4": (5, "garden"), "k5": (1, "toys")}
    for complaint, (age, group) in filed.items():
        clock.set(at(TODAY - timedelta(days=age)))
        run(c.FileComplaint("c1", complaint, "o1", group, "broken"), SUPPORT)
    clock.set(at(TODAY))
    run(c.AnswerComplaint("c1", "k2", "we look into it"), SUPPORT)
    run(c.ResolveComplaint("c1", "k4", "replaced"), SUPPORT)
    lists = lists_of(journey)

    def listed(**filters: Any) -> list[str]:
        return [cid for p in every_page(lists.open_complaints, 2, **filters) for cid in ids(p, "complaints", "complaint_id")]

    assert listed() == ["k1", "k2", "k3", "k5"]
    assert listed(product_group="garden") == ["k1", "k3"]
    assert listed(min_age_days=10) == ["k1", "k2", "k3"]
    assert listed(min_age_days=11) == ["k1", "k2"]
    assert listed(product_group="toys", min_age_days=2) == ["k2"]
    assert listed(product_group="kitchen") == []
    page = lists.open_complaints(product_group="toys")
    assert [(i["status"], i["age_days"], i["customer"]["name"]) for i in page["complaints"]] == [
        ("answered", 20, "Ann"), ("open", 1, "Ann")]
    assert page["as_of"] == TODAY.isoformat()


def test_invoices_handed_to_collection_are_listed_until_they_are_settled(journey):
    run, clock = journey.service.execute, journey.clock
    register(journey, "c1", "Ann", "ann@example.org", "+1 555 0100")
    due = TODAY - timedelta(days=90)
    for n in ("1", "2", "3"):
        clock.set(at(due - timedelta(days=14)))
        invoiced(journey, "c1", n, due)
    for step in range(4):
        clock.set(at(due + timedelta(days=1 + 15 * step)))
        for invoice in ("I1", "I2"):
            run(c.DunInvoice(invoice) if step < 3 else c.HandToCollection(invoice), BILLING)
    clock.set(at(TODAY))
    lists = lists_of(journey)

    page = lists.in_collection()
    assert ids(page, "invoices", "invoice_id") == ["I1", "I2"]
    assert page["invoices"][0]["customer"]["phone"] == "+1 555 0100"
    assert page["invoices"][0]["handed_to_collection"] is True
    assert "I3" in ids(lists.receivables(), "invoices", "invoice_id")  # not handed over: a receivable
    run(c.ReceivePayment("c1", "I1", eur(20)), BILLING)
    assert ids(lists_of(journey).in_collection(), "invoices", "invoice_id") == ["I2"]


def test_aged_receivables_fall_in_buckets_by_days_past_due_with_totals_per_currency(journey):
    register(journey, "c1", "Ann", "ann@example.org")
    register(journey, "c2", "Bob", "bob@example.org")
    past_due = {"a": -10, "b": 0, "c": 30, "d": 31, "e": 60, "f": 61, "g": 90, "h": 91, "i": 400}
    for n, days in past_due.items():
        invoiced(journey, "c1" if n < "e" else "c2", n, TODAY - timedelta(days=days), eur("10.05"))
    invoiced(journey, "c2", "y", TODAY - timedelta(days=45), Money(500, "JPY"))
    invoiced(journey, "c2", "paid", TODAY - timedelta(days=45))
    journey.service.execute(c.ReceivePayment("c2", "Ipaid", eur(20)), BILLING)
    journey.service.execute(c.ReceivePayment("c1", "Ia", eur("0.05")), BILLING)
    lists = lists_of(journey)

    def listed(bucket: str | None = None) -> list[str]:
        return [i for p in every_page(lists.receivables, 2, bucket=bucket) for i in ids(p, "invoices", "invoice_id")]

    assert listed() == ["Ii", "Ih", "Ig", "If", "Ie", "Iy", "Id", "Ic", "Ib", "Ia"]  # oldest due first
    assert listed("0-30") == ["Ic", "Ib", "Ia"]
    assert listed("31-60") == ["Ie", "Iy", "Id"]
    assert listed("61-90") == ["Ig", "If"]
    assert listed("90+") == ["Ii", "Ih"]
    page = lists.receivables("31-60")
    assert [(i["invoice_id"], i["days_past_due"], i["bucket"]) for i in page["invoices"]] == [
        ("Ie", 60, "31-60"), ("Iy", 45, "31-60"), ("Id", 31, "31-60")]
    assert page["invoices"][0]["customer"]["name"] == "Bob"
    expected = [
        {"bucket": "0-30", "currency": "EUR", "balance": "30.10", "invoices": 3},
        {"bucket": "31-60", "currency": "EUR", "balance": "20.10", "invoices": 2},
        {"bucket": "31-60", "currency": "JPY", "balance": "500", "invoices": 1},
        {"bucket": "61-90", "currency": "EUR", "balance": "20.10", "invoices": 2},
        {"bucket": "90+", "currency": "EUR", "balance": "20.10", "invoices": 2},
    ]
    assert page["totals"] == lists.receivables()["totals"] == expected
    # Tomorrow, the same invoices are a day older.
    journey.clock.set(at(TODAY + timedelta(days=1)))
    assert listed("0-30") == ["Ib", "Ia"]


def test_one_invoice_complaint_or_order_is_read_by_its_id_with_the_customers_contact_data(journey):
    run = journey.service.execute
    register(journey, "c1", "Ann", "ann@example.org", "+1 555 0100")
    invoiced(journey, "c1", "1", TODAY - timedelta(days=5))
    run(c.FileComplaint("c1", "K1", "O1", "garden", "the hose leaks"), SUPPORT)
    lists = lists_of(journey)

    invoice = lists.invoice("I1")
    assert invoice["position"] == journey.reads.position() and invoice["as_of"] == TODAY.isoformat()
    assert invoice["customer"]["email"] == "ann@example.org"
    assert invoice["invoice"]["invoice_id"] == "I1" and invoice["invoice"]["customer_id"] == "c1"
    assert invoice["invoice"]["may_dun"] is False  # the open complaint on its order holds it
    complaint = lists.complaint("K1")["complaint"]
    assert (complaint["status"], complaint["product_group"], complaint["age_days"]) == ("open", "garden", 0)
    assert [h["type"] for h in complaint["history"]] == ["Complaint.Filed"]
    order = lists.order("O1")
    assert order["order"]["order_id"] == "O1" and order["customer"]["phone"] == "+1 555 0100"
    assert [i["invoice_id"] for i in order["invoices"]] == ["I1"]
    assert order["complaints"] == [{"complaint_id": "K1", "product_group": "garden", "status": "open"}]
    for read, unknown in ((lists.invoice, "I9"), (lists.complaint, "K9"), (lists.order, "O9"), (lists.invoice, "K1")):
        with pytest.raises(UnknownError):
            read(unknown)


def test_a_read_store_projected_before_the_list_table_existed_fills_it(journey):
    run = journey.service.execute
    register(journey, "c1", "Ann", "ann@example.org", "+1 555 0100")
    run(c.ChangeContactDetails("c1", phone="+1 555 0199"), SALES)
    register(journey, "c2", "Bob", "bob@example.org")
    invoiced(journey, "c2", "1", TODAY - timedelta(days=40))
    run(c.FileComplaint("c2", "K1", "O1", "garden", "leaks"), SUPPORT)
    lists = lists_of(journey)
    before = (lists.customers(), lists.receivables(), lists.open_complaints(), journey.reads.dunning_candidates())
    # 1. As projected before: no list rows, and no customers' documents either.
    store: Any = journey.store
    with store.datastore.transaction(commit=True) as cursor:
        cursor.execute(f"DELETE FROM {store.lists}")
        cursor.execute(f"DELETE FROM {store.docs} WHERE view = 'customers'")
    assert lists.customers()["customers"] == []

    # 2. Opened again, the store fills both from what it holds.
    reopened = open_read_store(journey.location, journey.service)
    try:
        reads = Reads(reopened, journey.service.app.name, journey.clock, journey.reads.policy, 0, journey.service.head)
        refilled = Lists(reads)
        after = (refilled.customers(), refilled.receivables(), refilled.open_complaints(), reads.dunning_candidates())
    finally:
        reopened.close()
    assert after == before
    assert after[0]["customers"][0]["phone"] == "+1 555 0199"


def test_a_read_store_of_the_version_with_one_row_per_list_gets_the_new_table_filled(journey):
    run = journey.service.execute
    register(journey, "c1", "Ann", "ann@example.org")
    run(c.GiveConsent("c1", Channel.LETTER, Purpose.MARKETING, "store"), SALES)
    for n in (1, 2):  # two rows of one contact book in one list
        run(c.ContactCustomer("c1", f"K{n}", Channel.LETTER, Purpose.MARKETING, "offer", "spring", f"week-{n}"), SALES)
    invoiced(journey, "c1", "1", TODAY)
    lists = lists_of(journey)
    before = (lists.customers(), lists.receivables(), lists.campaigns(), lists.campaign("spring"), lists.outbox())
    assert before[2]["campaigns"][0]["outcomes"]["made"] == 2
    # 1. As the version before left it: its table of one row per document and list, no new table.
    store: Any = journey.store
    with store.datastore.transaction(commit=True) as cursor:
        cursor.execute(f"DROP TABLE {store.lists}")
        cursor.execute(f"CREATE TABLE {store.legacy_lists} (list text, key text, sort_key text, customer_id text, "
                       "tag text, day text, currency text, amount bigint, search text, PRIMARY KEY (key, list))")

    # 2. Opened again: the old table is gone and the new one holds every row, from the documents.
    reopened = open_read_store(journey.location, journey.service)
    try:
        reads = Reads(reopened, journey.service.app.name, journey.clock, journey.reads.policy, 0, journey.service.head)
        refilled = Lists(reads)
        after = (refilled.customers(), refilled.receivables(), refilled.campaigns(), refilled.campaign("spring"),
                 refilled.outbox())
        with reopened.datastore.transaction(commit=False) as cursor, pytest.raises(Exception, match="no such table|does not exist"):
            cursor.execute(f"SELECT 1 FROM {store.legacy_lists}")
    finally:
        reopened.close()
    assert after == before


def test_a_page_of_a_list_reads_its_index_range_not_every_row(journey):
    # 1. Many rows in every list.
    rows = [ListRow("customers", f"c{n}", f"c{n:05d}\x1fC{n:05d}", f"C{n:05d}", search=f"name {n}\x1fc{n}@x") for n in range(4000)]
    rows += [ListRow("open-complaints", f"k{n}", f"2026-01-01T00:00:{n % 60:02d}.000000Z|K{n}", f"C{n:05d}",
                     tag=f"group-{n % 20}", day="2026-01-01") for n in range(4000)]
    rows += [ListRow("receivables", f"i{n}", f"{TODAY - timedelta(days=n % 200)}|I{n}", f"C{n:05d}",
                     day=str(TODAY - timedelta(days=n % 200)), currency="EUR", amount=100) for n in range(4000)]
    store: Any = journey.store
    with store.datastore.transaction(commit=True) as cursor:
        store._insert_rows(cursor, rows)
        if store.mark == "%s":
            cursor.execute(f"ANALYZE {store.lists}")
    # 2. The queries of a page, as the database plans them.
    for query, index in ((complaints_query("group-3", 30, TODAY), "list_rows_tagged"),
                         (receivables_query("61-90", TODAY), "list_rows_sorted")):
        sql, params = store._page_sql(query)
        with store.datastore.transaction(commit=False) as cursor:
            cursor.execute(("EXPLAIN QUERY PLAN " if store.mark == "?" else "EXPLAIN ") + sql, [*params, 101])
            plan = " ".join(str(value) for row in cursor.fetchall() for value in dict(row).values())
        assert index in plan, plan
    totals = store.read_list(journey.service.app.name, receivables_query(None, TODAY), 10).totals
    assert [(t.band, t.count) for t in totals] == [(0, 620), (1, 600), (2, 600), (3, 2180)]
