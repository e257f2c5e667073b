"""Rules a billing clerk expects, over HTTP on SQLite and PostgreSQL: an overpayment is the
customer's credit, shown alike to billing and support; a deferral has a maximum length."""

from __future__ import annotations

import json
from datetime import datetime

from fastapi.testclient import TestClient

from tests.e2e.conftest import cloudevent
from tests.e2e.test_api_errors import BATCH, CE, assert_problem

SUPPORT = {"X-Department": "support", "X-User": "sam"}


def customer_with_invoice(client: TestClient) -> int:
    """Customer c1 with order O1 and invoice I1 of 100.00 EUR due 16 March 2026."""
    batch = [
        cloudevent("customer.registered", "c1", {"name": "Ann", "email": "ann@example.org"}, "s1"),
        cloudevent("order.placed", "c1", {"order_id": "O1", "currency": "EUR", "lines": [
            {"sku": "DRILL", "product_group": "power-tools", "quantity": 1, "unit_price": "100.00"}]}, "s2"),
        cloudevent("invoice.issued", "c1", {"invoice_id": "I1", "order_id": "O1", "amount": "100.00",
                                            "currency": "EUR", "due_date": "2026-03-16"}, "s3"),
    ]
    response = client.post("/events", content=json.dumps(batch), headers=BATCH)
    assert response.status_code == 202, response.text
    return response.json()["position"]


def test_an_overpayment_is_accepted_and_shown_as_the_customers_credit(client: TestClient) -> None:
    customer_with_invoice(client)
    paid = client.post("/events", headers=CE, json=cloudevent(
        "payment.received", "c1", {"invoice_id": "I1", "amount": "130.00", "currency": "EUR"}, "s4"))
    assert paid.status_code == 202, paid.text

    views = client.get("/customers/c1/views", params={"min_position": paid.json()["position"]}).json()

    [billed], [supported] = views["billing"]["invoices"], views["support"]["invoices"]
    assert (billed["status"], billed["balance"], billed["credit"], billed["credited"]) == ("settled", "0.00", "30.00", "0.00")
    assert supported == billed
    assert views["billing"]["customer_credit"] == views["support"]["customer_credit"] == {"EUR": "30.00"}
    assert views["billing"]["open_balance"] == {}
    # The journey shows when the payment happened (the clock's now) and when it was recorded.
    [payment] = [t for t in client.get("/customers/c1/journey").json()["touchpoints"]
                 if t["type"] == "Invoice.PaymentReceived"]
    assert payment["at"] == "2026-03-02T09:00:00+00:00"
    assert datetime.fromisoformat(payment["recorded_at"]).tzinfo is not None


def test_a_deferral_longer_than_the_maximum_is_refused(client: TestClient) -> None:
    # the clock reads 2 March 2026; the default maximum is 90 days, until 31 May
    customer_with_invoice(client)

    too_long = client.post("/invoices/I1/deferrals", json={"until": "2026-06-01", "reason": "summer"}, headers=SUPPORT)
    body = assert_problem(too_long, 422, "deferral-too-long")
    assert "2026-05-31" in body["detail"]

    longest = client.post("/invoices/I1/deferrals", json={"until": "2026-05-31", "reason": "spring"}, headers=SUPPORT)
    assert longest.status_code == 201, longest.text


def test_a_return_credits_the_invoice_and_stops_dunning(client: TestClient, clock) -> None:
    # 1. the drill is delivered and invoiced; the invoice is overdue on 1 April
    customer_with_invoice(client)
    for n, kind in enumerate(("order.shipped", "order.delivered")):
        assert client.post("/events", headers=CE, json=cloudevent(kind, "c1", {"order_id": "O1"}, f"d{n}")).status_code == 202
    clock.set(datetime.fromisoformat("2026-04-01T09:00:00+00:00"))
    billing = {"X-Department": "billing"}
    candidates = client.get("/dunning/candidates").json()["candidates"]
    assert [c["invoice_id"] for c in candidates] == ["I1"]

    # 2. the customer sends the drill back
    returned = client.post("/events", headers=CE, json=cloudevent("order.returned", "c1", {"order_id": "O1"}, "r1"))
    assert returned.status_code == 202, returned.text

    # 3. the return records a credit note right after it; billing shows the invoice credited
    position = returned.json()["position"]
    journey = client.get("/customers/c1/journey", params={"min_position": position}).json()["touchpoints"]
    assert [t["type"] for t in journey[-2:]] == ["Order.Returned", "Invoice.CreditNoteIssued"]
    [invoice] = client.get("/customers/c1/billing", params={"min_position": position}).json()["invoices"]
    assert (invoice["status"], invoice["balance"], invoice["credited"]) == ("credited", "0.00", "100.00")
    # and billing cannot dun for goods that came back
    assert client.get("/dunning/candidates", params={"min_position": position}).json()["candidates"] == []
    refused = client.post("/invoices/I1/dunning", headers=billing)
    assert refused.status_code == 409
    assert "settled" in [r["code"] for r in refused.json()["refusals"]]
