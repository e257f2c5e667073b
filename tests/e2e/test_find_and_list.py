"""A clerk finds customers, opens one invoice, complaint or order, and works through the
worklists over HTTP: every answer names its position, every list pages with its cursor."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from services.clock import FixedClock
from tests.e2e.conftest import cloudevent

BATCH = {"Content-Type": "application/cloudevents-batch+json"}
BILLING = {"X-Department": "billing", "X-User": "bea"}
ORDER = {"currency": "EUR", "lines": [{"sku": "HOSE", "product_group": "garden", "quantity": 1, "unit_price": "20.00"}]}


def shop(client: TestClient) -> int:
    """Two customers with contact data, three overdue invoices and a complaint; the position."""
    events = [
        cloudevent("customer.registered", "hw-1001", {"name": "Max Mustermann", "email": "max@example.org",
                                                      "phone": "+49 30 1234567", "address": "Hauptstr. 1\n10115 Berlin"}, "r1"),
        cloudevent("customer.registered", "hw-2002", {"name": "Erika Musterfrau", "email": "erika@example.org"}, "r2"),
    ]
    for n, customer in enumerate(("hw-1001", "hw-1001", "hw-2002")):
        events.append(cloudevent("order.placed", customer, {"order_id": f"O-{n}", **ORDER}, f"o{n}"))
        events.append(cloudevent("invoice.issued", customer, {"invoice_id": f"INV-{n}", "order_id": f"O-{n}", "amount": "20.00",
                                                              "currency": "EUR", "due_date": "2026-02-01"}, f"i{n}"))
    events.append(cloudevent("complaint.filed", "hw-2002", {"complaint_id": "K-1", "order_id": "O-2", "product_group": "garden",
                                                            "text": "the hose leaks"}, "k1"))
    response = client.post("/events", content=json.dumps(events), headers=BATCH)
    assert response.status_code == 202, response.text
    return response.json()["position"]


def get(client: TestClient, path: str, **params: object) -> dict:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["X-Journey-Position"] == str(response.json()["position"])
    return response.json()


def test_a_clerk_finds_a_customer_by_name_phone_or_id_and_pages_through_all(client: TestClient) -> None:
    position = shop(client)

    assert [c["customer_id"] for c in get(client, "/customers", q="MUSTER", min_position=position)["customers"]] == [
        "hw-1001", "hw-2002"]
    [max_] = get(client, "/customers", q="30/123-45")["customers"]  # digits of +49 30 1234567
    assert max_ == {"customer_id": "hw-1001", "name": "Max Mustermann", "email": "max@example.org",
                    "phone": "+49 30 1234567", "address": "Hauptstr. 1\n10115 Berlin"}
    assert [c["customer_id"] for c in get(client, "/customers", q="HW-2")["customers"]] == ["hw-2002"]
    first = get(client, "/customers", limit=1)
    second = get(client, "/customers", limit=1, cursor=first["next_cursor"])
    assert [first["customers"][0]["customer_id"], second["customers"][0]["customer_id"]] == ["hw-1001", "hw-2002"]
    assert second["next_cursor"] is None


def test_one_invoice_complaint_or_order_by_its_id_and_a_problem_when_unknown(client: TestClient) -> None:
    position = shop(client)

    invoice = get(client, "/invoices/INV-2", min_position=position)
    assert invoice["invoice"]["invoice_id"] == "INV-2" and invoice["invoice"]["status"] == "overdue"
    assert invoice["invoice"]["may_dun"] is False  # the complaint on its order holds it
    assert invoice["customer"]["name"] == "Erika Musterfrau" and invoice["customer"]["phone"] is None
    complaint = get(client, "/complaints/K-1")
    assert complaint["complaint"]["text"] == "the hose leaks" and complaint["customer"]["customer_id"] == "hw-2002"
    order = get(client, "/orders/O-0")
    assert order["order"]["status"] == "placed" and [i["invoice_id"] for i in order["invoices"]] == ["INV-0"]
    for path, code in (("/invoices/INV-9", "unknown-invoice"), ("/complaints/K-9", "unknown-complaint"),
                       ("/orders/O-9", "unknown-order")):
        missing = client.get(path)
        assert missing.status_code == 404, missing.text
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["code"] == code


def test_support_and_billing_work_through_their_worklists(client: TestClient, clock: FixedClock) -> None:
    clock.set(clock.now().replace(day=20))
    position = shop(client)

    complaints = get(client, "/worklists/open-complaints", product_group="garden", min_age_days=0, min_position=position)
    assert [(c["complaint_id"], c["age_days"], c["customer"]["name"]) for c in complaints["complaints"]] == [
        ("K-1", 0, "Erika Musterfrau")]
    assert get(client, "/worklists/open-complaints", min_age_days=1)["complaints"] == []
    receivables = get(client, "/worklists/aged-receivables", bucket="31-60", limit=2)
    assert [(i["invoice_id"], i["days_past_due"]) for i in receivables["invoices"]] == [("INV-0", 47), ("INV-1", 47)]
    assert receivables["totals"] == [{"bucket": "31-60", "currency": "EUR", "balance": "60.00", "invoices": 3}]
    rest = get(client, "/worklists/aged-receivables", bucket="31-60", limit=2, cursor=receivables["next_cursor"])
    assert [i["invoice_id"] for i in rest["invoices"]] == ["INV-2"] and rest["next_cursor"] is None
    assert get(client, "/worklists/aged-receivables", bucket="0-30")["invoices"] == []
    assert get(client, "/worklists/in-collection")["invoices"] == []
    candidates = get(client, "/dunning/candidates")["candidates"]
    assert {(c["invoice_id"], c["customer"]["email"]) for c in candidates} == {
        ("INV-0", "max@example.org"), ("INV-1", "max@example.org")}


def test_an_invoice_handed_to_collection_moves_to_billings_collection_worklist(client: TestClient, clock: FixedClock) -> None:
    shop(client)
    for day in ("2026-02-02", "2026-02-17", "2026-03-04", "2026-03-19"):
        clock.set(clock.now().replace(month=int(day[5:7]), day=int(day[8:])))
        step = "collection" if day == "2026-03-19" else "dunning"
        response = client.post(f"/invoices/INV-0/{step}", headers=BILLING)
        assert response.status_code == 201, response.text

    collected = get(client, "/worklists/in-collection", min_position=response.json()["position"])
    assert [(i["invoice_id"], i["customer"]["phone"]) for i in collected["invoices"]] == [("INV-0", "+49 30 1234567")]
    assert "INV-0" not in [i["invoice_id"] for i in get(client, "/worklists/aged-receivables")["invoices"]]


def test_a_foreign_cursor_or_filter_is_refused_on_every_list(client: TestClient) -> None:
    position = shop(client)
    customers_cursor = get(client, "/customers", limit=1, min_position=position)["next_cursor"]
    assert customers_cursor is not None
    lists = ("/customers", "/worklists/open-complaints", "/worklists/in-collection", "/worklists/aged-receivables")
    for path in lists:
        for cursor in ("not-a-cursor", "%%%", "AAAA"):
            refused = client.get(path, params={"cursor": cursor})
            assert refused.status_code == 422, refused.text
            assert refused.json()["code"] == "invalid-cursor"
    for path in lists[1:]:
        assert client.get(path, params={"cursor": customers_cursor}).json()["code"] == "invalid-cursor"
    for path, params in (("/worklists/aged-receivables", {"bucket": "30-60"}), ("/worklists/open-complaints", {"min_age_days": -1}),
                         ("/customers", {"limit": 0}), ("/customers", {"q": "a\x01b"})):
        refused = client.get(path, params=params)
        assert refused.status_code == 422 and refused.json()["code"] == "invalid-request", refused.text
