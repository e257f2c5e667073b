"""A clerk reading a customer's journey over HTTP, on SQLite and PostgreSQL, can tell what each
touchpoint concerns: its invoice, order or complaint, and one line saying what happened."""

from __future__ import annotations

import json
from datetime import datetime

from fastapi.testclient import TestClient

from services.clock import FixedClock
from tests.e2e.conftest import cloudevent
from tests.e2e.test_api_errors import BATCH, CE

BILLING = {"X-Department": "billing", "X-User": "bea"}


def order_and_invoice(n: int) -> list[dict]:
    order_id, invoice_id = f"O-100{n}", f"INV-100{n}"
    return [
        cloudevent("order.placed", "c1", {"order_id": order_id, "currency": "EUR", "lines": [
            {"sku": f"SKU-{n}", "product_group": "kettles", "quantity": 1, "unit_price": "50"}]}, f"o{n}"),
        cloudevent("invoice.issued", "c1", {"invoice_id": invoice_id, "order_id": order_id, "amount": "50",
                                            "currency": "EUR", "due_date": "2026-03-16"}, f"i{n}"),
    ]


def test_two_dunning_steps_on_two_invoices_are_told_apart_and_a_payment_names_its_invoice(
    client: TestClient, clock: FixedClock
) -> None:
    # 1. a customer with two orders, each invoiced 50 EUR, due 16 March; part of one is paid
    registered = cloudevent("customer.registered", "c1", {"name": "Ada Lovelace", "email": "ada@example.org"}, "c")
    batch = [registered, *order_and_invoice(1), *order_and_invoice(2)]
    assert client.post("/events", content=json.dumps(batch), headers=BATCH).status_code == 202
    paid = client.post("/events", headers=CE, json=cloudevent(
        "payment.received", "c1", {"invoice_id": "INV-1002", "amount": "20", "currency": "EUR"}, "p"))
    assert paid.status_code == 202, paid.text

    # 2. on 1 April billing duns both invoices
    clock.set(datetime.fromisoformat("2026-04-01T09:00:00+00:00"))
    for invoice_id in ("INV-1001", "INV-1002"):
        dunned = client.post(f"/invoices/{invoice_id}/dunning", headers=BILLING)
        assert dunned.status_code == 201, dunned.text

    # 3. the journey tells the two steps apart, and who took them
    journey = client.get("/customers/c1/journey", params={"min_position": dunned.json()["position"]}).json()
    touchpoints = journey["touchpoints"]
    steps = [t for t in touchpoints if t["type"] == "Invoice.DunningLevelReached"]
    assert [t["data"] for t in steps] == [{"level": 1}, {"level": 1}]
    assert [t["subject"] for t in steps] == [
        {"customer_id": "c1", "order_id": "O-1001", "invoice_id": "INV-1001"},
        {"customer_id": "c1", "order_id": "O-1002", "invoice_id": "INV-1002"},
    ]
    assert [t["summary"] for t in steps] == ["dunning level 1 for INV-1001", "dunning level 1 for INV-1002"]
    assert {(t["department"], t["actor"]["user"]) for t in steps} == {("billing", "bea")}

    # 4. the payment names its invoice, with the amount written in the currency's exponent
    [payment] = [t for t in touchpoints if t["type"] == "Invoice.PaymentReceived"]
    assert payment["summary"] == "payment 20.00 EUR on INV-1002"
    assert payment["subject"]["invoice_id"] == "INV-1002"
    assert payment["data"] == {"amount": {"amount": "20.00", "currency": "EUR"}}
    assert payment["actor"]["source"] == "shop"

    # 5. every touchpoint has a subject naming the customer and a one-line summary
    assert [t["summary"] for t in touchpoints[:3]] == [
        "customer registered: Ada Lovelace", "order O-1001 placed: 1 line, 50.00 EUR",
        "invoice INV-1001 issued for order O-1001: 50.00 EUR due 2026-03-16",
    ]
    assert all(t["subject"]["customer_id"] == "c1" and "\n" not in t["summary"] for t in touchpoints)
