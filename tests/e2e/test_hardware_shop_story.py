"""The story this product exists for, end to end over HTTP, on SQLite and PostgreSQL.

A customer asks the web shop for a detailed invoice; support tells him to hold payment until it
arrives. Billing must not dun him meanwhile, and every department must read the same history.
"""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from services.clock import FixedClock
from tests.e2e.conftest import cloudevent

BILLING = {"X-Department": "billing", "X-User": "bea"}
SUPPORT = {"X-Department": "support", "X-User": "sam"}
CE = {"Content-Type": "application/cloudevents+json"}


def publish(client: TestClient, event: dict) -> int:
    response = client.post("/events", json=event, headers=CE)
    assert response.status_code == 202, response.text
    return response.json()["position"]


def test_dunning_waits_for_the_promised_detailed_invoice_and_deferral(client: TestClient, clock: FixedClock) -> None:
    # 1. The shop reports the customer, his order and its invoice, due on 16 March, as one batch.
    batch = [
        cloudevent("customer.registered", "hw-1001", {"name": "Max Mustermann", "email": "max@example.org"}, "e1"),
        cloudevent("order.placed", "hw-1001", {"order_id": "O-1001", "currency": "EUR", "lines": [
            {"sku": "BOSCH-GSR18", "product_group": "power-tools", "quantity": 1, "unit_price": "189.00"},
            {"sku": "BIT-SET-32", "product_group": "accessories", "quantity": 1, "unit_price": "24.90"}]}, "e2"),
        cloudevent("invoice.issued", "hw-1001", {"invoice_id": "INV-1001", "order_id": "O-1001",
                                                 "amount": "213.90", "currency": "EUR", "due_date": "2026-03-16"}, "e3"),
    ]
    response = client.post("/events", content=json.dumps(batch),
                           headers={"Content-Type": "application/cloudevents-batch+json"})
    assert response.status_code == 202, response.text
    positions = response.json()["positions"]
    assert positions == sorted(positions) and len(set(positions)) == 3

    # 2. The customer asks for a detailed invoice (binary-mode CloudEvent).
    requested = client.post("/events", json={"invoice_id": "INV-1001", "note": "itemise the drill set"}, headers={
        "ce-specversion": "1.0", "ce-id": "e4", "ce-source": "shop", "ce-type": "invoice.detailed_requested",
        "ce-subject": "hw-1001", "Content-Type": "application/json"})
    assert requested.status_code == 202, requested.text

    # 3. Support promises him he may hold payment until 31 March.
    clock.set(clock.now().replace(day=20))
    deferral = client.post("/invoices/INV-1001/deferrals", json={"until": "2026-03-31", "reason": "awaits detailed invoice"},
                           headers=SUPPORT)
    assert deferral.status_code == 201, deferral.text

    # 4. The invoice is overdue, but billing's dunning is refused and names both holds.
    refused = client.post("/invoices/INV-1001/dunning", headers=BILLING)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    kinds = {hold["kind"] for hold in refused.json()["holds"]}
    assert kinds == {"detailed-invoice-requested", "payment-deferral"}
    assert client.get("/dunning/candidates", params={"min_position": deferral.json()["position"]}).json()["candidates"] == []

    # 5. Billing and support read the same history at one position, and agree.
    views = client.get("/customers/hw-1001/views", params={"min_position": deferral.json()["position"]}).json()
    assert views["billing"]["position"] == views["support"]["position"] == views["position"]
    invoice = views["billing"]["invoices"][0]
    assert invoice["status"] == "overdue" and invoice["may_dun"] is False
    assert [p["until"] for p in views["support"]["promises"] if p["active"]] == ["2026-03-31"]
    assert [r["invoice_id"] for r in views["support"]["open_detailed_invoice_requests"]] == ["INV-1001"]

    # 6. Billing sends the detailed invoice; the deferral still holds until it ends.
    corrected = client.post("/invoices/INV-1001/corrected-invoices", json={"note": "itemised"}, headers=BILLING)
    assert corrected.status_code == 201
    still = client.post("/invoices/INV-1001/dunning", headers=BILLING)
    assert still.status_code == 409
    assert {hold["kind"] for hold in still.json()["holds"]} == {"payment-deferral"}

    # 7. After the deferral ends, and still unpaid, the first dunning level is allowed.
    clock.set(clock.now().replace(month=4, day=1))
    dunned = client.post("/invoices/INV-1001/dunning", headers=BILLING)
    assert dunned.status_code == 201, dunned.text
    assert dunned.json()["level"] == 1

    # 8. The journey shows every touchpoint in stream order with its department.
    journey = client.get("/customers/hw-1001/journey", params={"min_position": dunned.json()["position"]})
    assert journey.headers["X-Journey-Position"] == str(journey.json()["position"])
    touchpoints = journey.json()["touchpoints"]
    assert [t["type"] for t in touchpoints] == [
        "Customer.Registered", "Order.Placed", "Invoice.Issued", "Invoice.DetailedInvoiceRequested",
        "Invoice.PaymentDeferralGranted", "Invoice.CorrectedInvoiceIssued", "Invoice.DunningLevelReached",
    ]
    assert [t["department"] for t in touchpoints][-3:] == ["support", "billing", "billing"]
    assert touchpoints[-1]["actor"]["user"] == "bea"


def test_a_complaint_on_the_order_holds_dunning_until_it_is_resolved(client: TestClient, clock: FixedClock) -> None:
    publish(client, cloudevent("customer.registered", "c2", {"name": "Erika", "email": "erika@example.org"}, "k1"))
    publish(client, cloudevent("order.placed", "c2", {"order_id": "O2", "currency": "EUR", "lines": [
        {"sku": "LADDER", "product_group": "ladders", "quantity": 1, "unit_price": "129.00"}]}, "k2"))
    publish(client, cloudevent("invoice.issued", "c2", {"invoice_id": "I2", "order_id": "O2", "amount": "129.00",
                                                         "currency": "EUR", "due_date": "2026-03-10"}, "k3"))
    publish(client, cloudevent("complaint.filed", "c2", {"complaint_id": "K2", "order_id": "O2",
                                                          "product_group": "ladders", "text": "a rung is bent"}, "k4"))
    clock.set(clock.now().replace(day=25))
    refused = client.post("/invoices/I2/dunning", headers=BILLING)
    assert refused.status_code == 409
    assert [h["cause"] for h in refused.json()["holds"]] == ["complaint K2"]

    resolved = client.post("/complaints/K2/resolution", json={"note": "replacement sent"}, headers=SUPPORT)
    assert resolved.status_code == 201
    assert client.post("/invoices/I2/dunning", headers=BILLING).status_code == 201
    support = client.get("/customers/c2/support", params={"min_position": resolved.json()["position"]}).json()
    history = support["complaints_by_product_group"]["ladders"][0]["history"]
    assert [h["type"] for h in history] == ["Complaint.Filed", "Complaint.Resolved"]
