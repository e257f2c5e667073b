"""The projections as pure mappers: events of real aggregates, at increasing positions, folded
into billing's and support's documents and the journey entries. No store is involved."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.holds import DunningPolicy
from domain.order import Order
from projections.batch import Batch
from projections.read_models import standing, support_view
from projections.views import fold
from tests.unit.builders import (
    AT,
    BOB,
    HOSE,
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


def billing(batch: Batch, aggregate: Any) -> dict[str, Any]:
    return batch.get("billing", aggregate.id.hex)


def support(batch: Batch, aggregate: Any) -> dict[str, Any]:
    return batch.get("support", aggregate.id.hex)


# Billing documents -----------------------------------------------------------------------------


def test_billing_tracks_what_is_owed_paid_promised_requested_and_dunned():
    # 1. an invoice is issued, partly paid and dunned once
    stream = Stream()
    invoice = issue_invoice()
    stream.record(invoice)
    invoice.receive_payment(amount=eur("30.00"), at=on(date(2026, 3, 4)), by=SHOP)
    invoice.reach_next_dunning_level(open_complaints=[], policy=POLICY, at=on(date(2026, 3, 16)), by=BOB)
    # 2. then a deferral is granted and a detailed invoice requested
    invoice.grant_deferral(until=date(2026, 4, 10), reason="salary", policy=POLICY, at=on(date(2026, 3, 20)), by=BOB)
    invoice.request_detailed_invoice(note="itemise", at=on(date(2026, 3, 21)), by=SUE)
    stream.record(invoice)

    doc = billing(stream.fold(), invoice)

    assert doc == {
        "kind": "invoice", "customer_id": "C-1", "invoice_id": "I-1", "order_id": "O-1",
        "amount": "100.00", "currency": "EUR", "paid": "30.00", "credited": "0", "written_off": "0",
        "applied": "0", "transferred": "0", "due_date": "2026-03-15",
        "issued_at": "2026-03-01T09:30:00+00:00",
        "open_detailed_requests": ["itemise"],
        "deferrals": [{
            "number": 1, "until": "2026-04-10", "reason": "salary", "granted_by": "billing:bob",
            "department": "billing", "made_at": "2026-03-20T09:30:00+00:00",
            "made_by": {"department": "billing", "user": "bob", "source": None, "event_id": None},
            "revoked_at": None, "revoked_because": None, "shortened_from": None,
        }],
        "open_dispute": None, "dunning_level": 1, "last_dunning_on": "2026-03-16",
        "handed_to_collection": False, "corrections": 0, "position": 5,
    }


def test_billing_shows_a_corrected_invoice_and_no_open_request():
    stream = Stream()
    invoice = issue_invoice()
    invoice.request_detailed_invoice(note="itemise", at=AT, by=SUE)
    invoice.request_detailed_invoice(note=None, at=AT, by=SHOP)
    invoice.issue_corrected_invoice(
        amount=eur("80.00"), due_date=date(2026, 3, 31), note=None, at=AT, by=BOB
    )
    stream.record(invoice)

    doc = billing(stream.fold(), invoice)

    assert (doc["amount"], doc["due_date"], doc["corrections"]) == ("80.00", "2026-03-31", 1)
    assert doc["open_detailed_requests"] == []


def test_billing_shows_disputes_and_the_hand_off_to_collection():
    stream = Stream()
    invoice = issue_invoice()
    invoice.open_dispute_about(reason="fee", at=AT, by=SUE)
    stream.record(invoice)
    assert billing(stream.fold(), invoice)["open_dispute"] == "fee"

    invoice.resolve_dispute(resolution="fee stands", at=AT, by=BOB)
    for day in (date(2026, 3, 16), date(2026, 3, 30), date(2026, 4, 13)):
        invoice.reach_next_dunning_level(open_complaints=[], policy=POLICY, at=on(day), by=BOB)
    invoice.hand_to_collection(open_complaints=[], policy=POLICY, at=on(date(2026, 4, 27)), by=BOB)
    stream.record(invoice)

    doc = billing(stream.fold(), invoice)
    assert doc["open_dispute"] is None
    assert (doc["dunning_level"], doc["handed_to_collection"], doc["last_dunning_on"]) == (
        3, True, "2026-04-27"
    )
    assert doc["position"] == stream.head


def test_billing_knows_complaints_from_their_own_events_at_every_position():
    # given two complaints filed on an order, the first later resolved
    stream = Stream()
    order = place_order()
    stream.record(order)
    first, second = file_complaint("K-1"), file_complaint("K-2")
    stream.record(first)
    filed_at = stream.head
    order.ship(at=AT, by=SHOP)
    stream.record(order)
    stream.record(second)
    first.resolve(note="replaced", at=AT, by=SUE)
    stream.record(first)

    # when the stream is folded only up to the complaint's own event
    early = Batch({})
    fold(early, stream.positioned[:filed_at])

    # then billing already holds for it, from the complaint's own event
    assert billing(early, first) == {
        "kind": "complaint", "customer_id": "C-1", "complaint_id": "K-1", "order_id": "O-1",
        "open": True, "position": filed_at,
    }
    # and at the head the resolved complaint is closed, the other still open
    head = stream.fold()
    assert billing(head, first)["open"] is False
    assert billing(head, second)["open"] is True
    assert billing(head, order) is None


def test_billing_facts_give_the_same_standing_as_the_aggregates():
    # given an invoice with every kind of fact and a complaint open on its order
    stream = Stream()
    order = place_order()
    invoice = issue_invoice()
    invoice.request_detailed_invoice(note=None, at=AT, by=SHOP)
    invoice.receive_payment(amount=eur("12.34"), at=AT, by=SHOP)
    invoice.grant_deferral(until=date(2026, 3, 20), reason="salary", policy=POLICY, at=AT, by=SHOP)
    invoice.open_dispute_about(reason="fee", at=AT, by=SUE)
    complaint = file_complaint("K-1")
    stream.record(order, invoice, complaint)

    batch = stream.fold()
    open_complaints = [c["complaint_id"] for c in [billing(batch, complaint)] if c["open"]]
    facts = standing(billing(batch, invoice), open_complaints)

    # then the read side feeds the hold rule exactly what the aggregate checks against
    assert facts == invoice.standing(["K-1"] if not complaint.resolved else [])


# Support documents -----------------------------------------------------------------------------


def complaint_journey() -> tuple[Stream, Order]:
    """An order of a kettle and a hose with three complaints: two about the kitchen group
    (one answered and resolved), one about the garden group."""
    stream = Stream()
    stream.record(register_customer())
    order = place_order()
    stream.record(order)
    kettle = file_complaint("K-1", product_group="kitchen", at=on(date(2026, 3, 2)))
    hose = file_complaint("K-2", product_group="garden", at=on(date(2026, 3, 3)))
    handle = file_complaint("K-3", product_group="kitchen", at=on(date(2026, 3, 4)))
    stream.record(kettle, hose, handle)
    kettle.answer(text="a new one is on its way", at=on(date(2026, 3, 5)), by=SUE)
    kettle.resolve(note="replaced", at=on(date(2026, 3, 6)), by=BOB)
    stream.record(kettle)
    return stream, order


def test_support_keeps_each_complaint_with_its_history():
    stream, _ = complaint_journey()
    kettle = file_complaint("K-1")

    doc = support(stream.fold(), kettle)

    assert (doc["status"], doc["product_group"], doc["order_id"]) == ("resolved", "kitchen", "O-1")
    assert [(h["type"], h["at"], h["by"]["user"]) for h in doc["history"]] == [
        ("Complaint.Filed", "2026-03-02T09:30:00+00:00", "sue"),
        ("Complaint.Answered", "2026-03-05T09:30:00+00:00", "sue"),
        ("Complaint.Resolved", "2026-03-06T09:30:00+00:00", "bob"),
    ]
    assert doc["history"][0]["text"] == "the kettle leaks"
    assert doc["history"][1]["text"] == "a new one is on its way"
    assert doc["history"][2]["note"] == "replaced"
    assert doc["history"][2]["by"] == {"department": "billing", "user": "bob", "source": None, "event_id": None}


def test_support_view_groups_complaints_by_product_group():
    stream, _ = complaint_journey()

    view = support_view(stream.snapshot("C-1"), today=date(2026, 3, 10), policy=POLICY)

    groups = view["complaints_by_product_group"]
    assert list(groups) == ["garden", "kitchen"]
    assert sorted(c["complaint_id"] for c in groups["kitchen"]) == ["K-1", "K-3"]
    assert [c["complaint_id"] for c in groups["garden"]] == ["K-2"]
    assert sorted(view["open_complaints"]) == ["K-2", "K-3"]
    assert [o["product_groups"] for o in view["orders"]] == [["garden", "kitchen"]]


def test_support_sees_who_asked_for_detailed_invoices_and_when_they_were_answered():
    # 1. a detailed invoice is asked for twice and a deferral promised
    stream = Stream()
    invoice = issue_invoice()
    invoice.request_detailed_invoice(note="itemise", at=on(date(2026, 3, 2)), by=SUE)
    invoice.grant_deferral(until=date(2026, 3, 31), reason="salary", policy=POLICY, at=on(date(2026, 3, 3)), by=BOB)
    invoice.request_detailed_invoice(note=None, at=on(date(2026, 3, 4)), by=SHOP)
    stream.record(invoice)
    before = support(stream.fold(), invoice)
    assert [r["answered_at"] for r in before["detailed_invoice_requests"]] == [None, None]

    # 2. a corrected invoice answers both
    invoice.issue_corrected_invoice(amount=None, due_date=None, note=None, at=on(date(2026, 3, 6)), by=BOB)
    stream.record(invoice)
    doc = support(stream.fold(), invoice)

    sue = {"department": "support", "user": "sue", "source": None, "event_id": None}
    shop = {"department": "integrator", "user": None, "source": "shop", "event_id": None}
    assert doc["detailed_invoice_requests"] == [
        {"requested_at": "2026-03-02T09:30:00+00:00", "note": "itemise", "requested_by": sue,
         "answered_at": "2026-03-06T09:30:00+00:00"},
        {"requested_at": "2026-03-04T09:30:00+00:00", "note": None, "requested_by": shop,
         "answered_at": "2026-03-06T09:30:00+00:00"},
    ]


def test_support_keeps_no_sums_of_its_own():
    """What an invoice comes to, support reads from billing's document (one derivation)."""
    stream = Stream()
    invoice = issue_invoice()
    invoice.receive_payment(amount=eur("30.00"), at=AT, by=SHOP)
    stream.record(invoice)

    assert not {"amount", "paid", "credited", "outstanding", "credit"} & set(support(stream.fold(), invoice))


@pytest.mark.parametrize(
    ("steps", "status"),
    [
        ([], "placed"),
        (["ship"], "shipped"),
        (["ship", "deliver"], "delivered"),
        (["cancel"], "cancelled"),
        (["ship", "deliver", "return"], "returned"),
    ],
)
def test_support_follows_the_order_status(steps, status):
    stream = Stream()
    order = place_order()
    for step in steps:
        {
            "ship": lambda: order.ship(at=AT, by=SHOP),
            "deliver": lambda: order.deliver(at=AT, by=SHOP),
            "cancel": lambda: order.cancel(reason=None, at=AT, by=SHOP),
            "return": lambda: order.take_back(lines=None, at=AT, by=SHOP),
        }[step]()
    stream.record(order)

    assert support(stream.fold(), order)["status"] == status == order.status


def test_support_shows_a_partial_return_as_partial():
    # regression: support once showed every Order.Returned as "returned", ignoring ``whole``
    stream = Stream()
    order = place_order()
    order.ship(at=AT, by=SHOP)
    order.take_back(lines=[HOSE], at=AT, by=SHOP)
    stream.record(order)

    assert support(stream.fold(), order)["status"] == order.status == "partially returned"


# Journey entries ---------------------------------------------------------------------------------


def test_the_journey_lists_touchpoints_in_stream_order_with_the_department_of_the_actor():
    # given a customer's touchpoints from the shop, support and billing
    stream = Stream()
    stream.record(register_customer())
    order = place_order()
    invoice = issue_invoice()
    stream.record(order, invoice)
    complaint = file_complaint()
    stream.record(complaint)
    invoice.receive_payment(amount=eur("10.00"), at=on(date(2026, 3, 2)), by=SHOP)
    stream.record(invoice)
    complaint.resolve(note="refunded", at=AT, by=SUE)
    stream.record(complaint)

    # when the stream is folded
    batch = stream.fold()

    # then every touchpoint is an entry of the customer, at consecutive positions
    entries = [entry for _, customer, entry in batch.entries if customer == "C-1"]
    assert [(e["position"], e["type"], e["aggregate"], e["department"]) for e in entries] == [
        (1, "Customer.Registered", "customer", "integrator"),
        (2, "Order.Placed", "order", "integrator"),
        (3, "Invoice.Issued", "invoice", "billing"),
        (4, "Complaint.Filed", "complaint", "support"),
        (5, "Invoice.PaymentReceived", "invoice", "integrator"),
        (6, "Complaint.Resolved", "complaint", "support"),
    ]
    assert len(batch.entries) == 6


def test_a_journey_entry_carries_the_actor_time_and_payload():
    stream = Stream()
    order = place_order()
    stream.record(order)
    invoice = issue_invoice()
    invoice.receive_payment(amount=eur("10.00"), at=on(date(2026, 3, 2)), by=SHOP)
    stream.record(invoice)

    entries = {e["type"]: e for _, _, e in stream.fold().entries}

    assert entries["Invoice.PaymentReceived"]["actor"] == {
        "department": "integrator", "user": None, "source": "shop", "event_id": None,
    }
    assert entries["Invoice.PaymentReceived"]["at"] == "2026-03-02T09:30:00+00:00"
    assert entries["Invoice.PaymentReceived"]["data"] == {"amount": {"amount": "10.00", "currency": "EUR"}}
    assert entries["Order.Placed"]["data"] == {
        "customer_id": "C-1", "order_id": "O-1", "currency": "EUR",
        "lines": [
            {"sku": "KET-1", "product_group": "kitchen", "quantity": 2, "unit_price": "25.00"},
            {"sku": "HOS-9", "product_group": "garden", "quantity": 1, "unit_price": "50.00"},
        ],
    }


def test_events_of_aggregates_never_seen_created_are_ignored():
    # given a batch that starts after the invoice's Issued event
    invoice = issue_invoice()
    invoice.collect_events()
    invoice.receive_payment(amount=eur("10.00"), at=AT, by=SHOP)
    stream = Stream()
    stream.record(invoice)

    batch = stream.fold()

    # then no view invents a document or an entry for it
    assert batch.docs == {}
    assert batch.entries == []


def test_value_objects_in_journey_payloads_are_written_as_their_fields_would_be_by_asdict():
    from dataclasses import asdict, dataclass  # noqa: PLC0415
    from decimal import Decimal  # noqa: PLC0415

    from domain.holds import Deferral, Hold, HoldKind  # noqa: PLC0415
    from domain.values import Money, OrderLine  # noqa: PLC0415
    from projections.encoding import jsonable  # noqa: PLC0415

    @dataclass(frozen=True)
    class Nested:
        line: OrderLine
        price: Money
        tags: tuple[str, ...]

    values = [
        OrderLine("SKU-1", "books", 2, Decimal("12.50")),
        Deferral(date(2026, 3, 1), "asked nicely", "billing:bo", 2, "billing"),
        Hold(HoldKind.DISPUTE, "wrong amount"),
        Nested(OrderLine("SKU-2", "games", 1, Decimal("5")), Money(Decimal("5.00"), "EUR"), ("a", "b")),
    ]
    for value in values:  # asdict first turns every nested dataclass into its plain fields
        assert jsonable(value) == {k: jsonable(v) for k, v in asdict(value).items()}
    assert jsonable(values[3])["price"] == {"amount": "5.00", "currency": "EUR"}
