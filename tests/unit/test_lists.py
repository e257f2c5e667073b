"""The customers view and the list rows (projections.customers, projections.lists): derived from
one document at a time, with ranges of sort keys that select exactly the asked bucket or age."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.customer import Customer
from projections import customers
from projections.list_queries import (
    BUCKETS,
    ListQuery,
    amount_of,
    bucket_bands,
    bucket_of,
    complaints_query,
    customer_search,
    receivables_query,
)
from projections.lists import (
    COMPLAINTS,
    CUSTOMERS,
    HOLDING_INVOICES,
    IN_COLLECTION,
    OPEN_COMPLAINTS,
    RECEIVABLES,
    list_rows,
)
from tests.unit.builders import AT, SHOP, Stream, register_customer

TODAY = date(2026, 3, 20)


def invoice(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "invoice", "customer_id": "C-1", "invoice_id": "I-1", "order_id": "O-1", "amount": "100.00",
        "paid": "0", "credited": "0", "currency": "EUR", "due_date": "2026-03-01",
        "handed_to_collection": False, "dunning_level": 0, "open_dispute": None, **changes,
    }


def complaint(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "complaint", "customer_id": "C-1", "complaint_id": "K-1", "order_id": "O-1",
        "product_group": "garden", "text": "leaks", "status": "open",
        "history": [{"type": "Complaint.Filed", "at": "2026-03-01T10:00:00+01:00"}], **changes,
    }


def customer(**changes: Any) -> dict[str, Any]:
    return {"kind": "customer", "customer_id": "HW-1001", "name": "Max Müßig", "email": "Max@Example.org",
            "phone": "+49 (30) 1234-567", "address": "Hauptstr. 1\n10115 Berlin", **changes}


def in_range(query: ListQuery, sort_key: str) -> bool:
    """What the database asks of a row's sort key."""
    return (query.sort_from is None or sort_key >= query.sort_from) and (
        query.sort_before is None or sort_key < query.sort_before
    )


# The customers view --------------------------------------------------------------------------


def test_a_registered_customer_has_contact_data_and_a_change_replaces_only_what_it_names():
    stream = Stream()
    ada = register_customer()
    ada.change_contact_details(email=None, phone="+49 30 999", address="Hauptstr. 1", at=AT, by=SHOP)
    stream.record(ada)

    batch = stream.fold()

    doc = batch.get(customers.VIEW, ada.id.hex)
    assert customers.contact(doc) == {
        "customer_id": "C-1", "name": "Ada Lovelace", "email": "ada@example.org",
        "phone": "+49 30 999", "address": "Hauptstr. 1",
    }


def test_a_version_1_registration_reads_without_phone_and_address():
    data = {"customer_id": "C-1", "name": "Ada", "email": "ada@example.org", "birthday": None}

    doc = customers.apply(None, "Customer.Registered", data, 3)

    assert doc is not None and doc["phone"] is None and doc["address"] is None and doc["position"] == 3


def test_only_customer_events_make_customer_documents():
    assert customers.apply(None, "Customer.ContactDetailsChanged", {"email": "x@example.org"}, 1) is None
    assert customers.apply(None, "Invoice.Issued", {}, 1) is None
    assert Customer.Registered.class_version == 2


# List rows -----------------------------------------------------------------------------------


def test_a_customer_is_listed_by_case_folded_id_with_name_email_and_phone_digits_to_search():
    [row] = list_rows(customers.VIEW, "k", customer())

    assert row.list == CUSTOMERS and row.customer_id == "HW-1001"
    assert row.sort_key == "hw-1001\x1fHW-1001"
    assert row.search == "max müssig\x1fmax@example.org"
    assert row.tag == "49301234567"


def test_an_open_or_answered_complaint_is_listed_by_when_it_was_filed_and_a_resolved_one_is_not():
    every, row = list_rows("support", "k", complaint(status="answered"))

    assert row.list == OPEN_COMPLAINTS and row.tag == "garden"
    assert row.sort_key == "2026-03-01T09:00:00.000000Z|K-1" and row.day == "2026-03-01"  # in UTC
    assert every == replace(row, list=COMPLAINTS)  # every complaint, for the campaigns' counts
    assert list_rows("support", "k", complaint(status="resolved")) == [every]
    assert list_rows("billing", "k", {**complaint(), "open": True}) == []  # billing's copy feeds no list


def test_an_invoice_with_a_balance_is_a_receivable_until_it_is_handed_to_collection():
    [open_row] = list_rows("billing", "k", invoice(paid="40.00"))
    [collected] = [r for r in list_rows("billing", "k", invoice(handed_to_collection=True)) if r.list != HOLDING_INVOICES]

    assert (open_row.list, open_row.sort_key, open_row.day) == (RECEIVABLES, "2026-03-01|I-1", "2026-03-01")
    assert (open_row.currency, amount_of(open_row.amount or 0)) == ("EUR", Decimal("60"))
    assert collected.list == IN_COLLECTION
    assert list_rows("billing", "k", invoice(paid="100.00")) == []
    assert list_rows("billing", "k", invoice(paid="60.00", credited="40.00", handed_to_collection=True)) == []
    assert list_rows("support", "k", invoice()) == []


def test_an_invoice_holds_promotion_back_while_dunned_with_a_balance_or_disputed():
    def holding(**changes: Any) -> bool:
        return HOLDING_INVOICES in [r.list for r in list_rows("billing", "k", invoice(**changes))]

    assert not holding()  # open, never dunned
    assert holding(dunning_level=1) and holding(handed_to_collection=True)
    assert not holding(dunning_level=3, paid="100.00")  # dunned once, settled since
    assert holding(open_dispute={"reason": "never ordered"}, paid="100.00")
    [row] = [r for r in list_rows("billing", "k", invoice(dunning_level=2)) if r.list == HOLDING_INVOICES]
    assert (row.customer_id, row.sort_key) == ("C-1", "C-1\x1fI-1")


def test_amounts_are_exact_in_every_currency_exponent():
    for amount, currency in (("1234", "JPY"), ("0.005", "KWD"), ("12.3456", "CLF"), ("906.01", "EUR")):
        [row] = list_rows("billing", "k", invoice(amount=amount, currency=currency))
        assert amount_of(row.amount or 0) == Decimal(amount)


# Queries -------------------------------------------------------------------------------------


def test_a_search_matches_phone_digits_only_when_it_looks_like_a_phone_number():
    assert customer_search(" +49 30/12 ") == ListQuery(CUSTOMERS, text="+49 30/12", digits="493012")
    assert customer_search("Max") == ListQuery(CUSTOMERS, text="max")
    assert customer_search("hw-1001") == ListQuery(CUSTOMERS, text="hw-1001")
    assert customer_search("12") == ListQuery(CUSTOMERS, text="12")  # too few digits for a phone
    assert customer_search("  ") == customer_search(None) == ListQuery(CUSTOMERS)


@given(filed=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 3, 20, 23, 59), timezones=st.just(UTC)),
       min_age=st.integers(0, 60))
def test_a_minimum_age_selects_exactly_the_complaints_filed_that_many_days_ago_or_earlier(filed, min_age):
    _, row = list_rows("support", "k", complaint(history=[{"at": filed.isoformat()}]))

    query = complaints_query("garden", min_age, TODAY)

    assert query.tag == "garden"
    assert in_range(query, row.sort_key) == ((TODAY - filed.date()).days >= min_age)


@given(offset=st.integers(-30, 200))
def test_a_bucket_selects_exactly_the_invoices_its_days_past_due_fall_in(offset):
    due = (TODAY - timedelta(days=offset)).isoformat()
    [row] = list_rows("billing", "k", invoice(due_date=due))
    days, bucket = bucket_of(due, TODAY)

    assert days == max(offset, 0)
    for name in BUCKETS:
        assert in_range(receivables_query(name, TODAY), row.sort_key) == (name == bucket)
    # The totals' bands (the first band whose first due date the due date reaches) agree.
    bands = bucket_bands(TODAY)
    band = next((i for i, first in enumerate(bands) if due >= first), len(bands))
    assert BUCKETS[band] == bucket


def test_buckets_start_at_thirty_one_sixty_one_and_ninety_one_days():
    assert [bucket_of((TODAY - timedelta(days=n)).isoformat(), TODAY)[1] for n in (-5, 0, 30, 31, 60, 61, 90, 91)] == [
        "0-30", "0-30", "0-30", "31-60", "31-60", "61-90", "61-90", "90+"]
