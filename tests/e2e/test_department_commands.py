"""Every department action as a command over HTTP, through the same handlers and rules as the
integrators' CloudEvents, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.conftest import cloudevent
from tests.e2e.test_api_errors import CE, assert_problem
from tests.e2e.test_billing_rules import customer_with_invoice

BILLING = {"X-Department": "billing", "X-User": "bea"}
SUPPORT = {"X-Department": "support", "X-User": "sam"}
SALES = {"X-Department": "sales", "X-User": "sid"}


def post(client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str], status: int = 201) -> dict:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def billing_of(client: TestClient, position: int, customer: str = "c1") -> dict:
    return client.get(f"/customers/{customer}/billing", params={"min_position": position}).json()


def invoice(client: TestClient, position: int, invoice_id: str = "I1") -> dict:
    return next(i for i in billing_of(client, position)["invoices"] if i["invoice_id"] == invoice_id)


def test_billing_records_a_payment_taken_at_the_counter(client: TestClient) -> None:
    customer_with_invoice(client)

    paid = post(client, "/invoices/I1/payments", {"amount": "40.00", "currency": "EUR"}, BILLING)

    assert (invoice(client, paid["position"])["balance"]) == "60.00"
    [entry] = [t for t in client.get("/customers/c1/journey").json()["touchpoints"]
               if t["type"] == "Invoice.PaymentReceived"]
    assert entry["actor"]["department"] == "billing" and entry["actor"]["user"] == "bea"


def test_a_payment_breaks_the_same_rules_through_either_door(client: TestClient) -> None:
    customer_with_invoice(client)

    by_http = client.post("/invoices/I1/payments", json={"amount": "5.00", "currency": "USD"}, headers=BILLING)
    by_event = client.post("/events", headers=CE, json=cloudevent(
        "payment.received", "c1", {"invoice_id": "I1", "amount": "5.00", "currency": "USD"}, "p1"))

    assert assert_problem(by_http, 422, "currency-mismatch")["detail"] == assert_problem(
        by_event, 422, "currency-mismatch")["detail"]


def test_an_amount_with_more_decimals_than_the_currency_allows_is_refused(client: TestClient) -> None:
    customer_with_invoice(client)

    refused = client.post("/invoices/I1/payments", json={"amount": "906.005", "currency": "EUR"}, headers=BILLING)
    by_event = client.post("/events", headers=CE, json=cloudevent(
        "payment.received", "c1", {"invoice_id": "I1", "amount": "906.005", "currency": "EUR"}, "p1"))

    assert "at most 2 decimals" in assert_problem(refused, 422, "too-many-decimals")["detail"]
    assert_problem(by_event, 422, "too-many-decimals")
    assert invoice(client, 3)["paid"] == "0.00"


def test_a_credit_note_and_a_write_off_settle_an_invoice(client: TestClient) -> None:
    customer_with_invoice(client)
    post(client, "/invoices/I1/payments", {"amount": "50.00", "currency": "EUR"}, BILLING)

    credited = post(client, "/invoices/I1/credit-notes", {"amount": "20.00", "currency": "EUR", "reason": "scratch"}, BILLING)
    assert invoice(client, credited["position"])["balance"] == "30.00"
    written = post(client, "/invoices/I1/write-offs", {"reason": "not worth collecting"}, BILLING)

    assert written["written_off"] == {"amount": "30.00", "currency": "EUR"}
    shown = invoice(client, written["position"])
    assert (shown["status"], shown["balance"], shown["written_off"], shown["next_step"]) == (
        "written-off", "0.00", "30.00", None)
    again = client.post("/invoices/I1/write-offs", json={"reason": "twice"}, headers=BILLING)
    assert_problem(again, 409, "invalid-transition")


def test_a_customers_credit_is_offset_against_open_invoices_on_request(client: TestClient) -> None:
    customer_with_invoice(client)
    client.post("/events", headers=CE, json=cloudevent("order.placed", "c1", {"order_id": "O2", "currency": "EUR", "lines": [
        {"sku": "SAW", "product_group": "tools", "quantity": 1, "unit_price": "50.00"}]}, "o2"))
    client.post("/events", headers=CE, json=cloudevent("invoice.issued", "c1", {
        "invoice_id": "I2", "order_id": "O2", "amount": "50.00", "currency": "EUR", "due_date": "2026-03-20"}, "i2"))
    paid = post(client, "/invoices/I1/payments", {"amount": "130.00", "currency": "EUR"}, BILLING)
    assert billing_of(client, paid["position"])["customer_credit"] == {"EUR": "30.00"}

    offset = post(client, "/customers/c1/credit-offsets", {}, BILLING)

    assert offset["offsets"] == [{"amount": "30.00", "currency": "EUR", "from_invoice": "I1", "to_invoice": "I2"}]
    view = billing_of(client, offset["position"])
    assert view["customer_credit"] == {}
    assert view["open_balance"] == {"EUR": "20.00"}
    nothing = client.post("/customers/c1/credit-offsets", json={}, headers=BILLING)
    assert_problem(nothing, 409, "nothing-to-offset")


def test_support_records_a_complaint_taken_on_the_phone_and_it_holds_dunning(client: TestClient, clock) -> None:
    customer_with_invoice(client)

    filed = post(client, "/complaints", {"customer_id": "c1", "order_id": "O1", "product_group": "power-tools",
                                         "text": "the drill smokes"}, SUPPORT)

    assert filed["complaint_id"].startswith("CP-")
    held = invoice(client, filed["position"])
    assert [(h["kind"], h["ref"]) for h in held["holds"]] == [("complaint", filed["complaint_id"])]
    unknown = client.post("/complaints", json={"customer_id": "c1", "order_id": "O1", "product_group": "garden",
                                               "text": "?"}, headers=SUPPORT)
    assert_problem(unknown, 422, "unknown-product-group")
    no_order = client.post("/complaints", json={"customer_id": "c1", "order_id": "O-9", "product_group": "tools",
                                                "text": "?"}, headers=SUPPORT)
    assert_problem(no_order, 422, "unknown-order")  # named in the body: the request is wrong, not the URL


def test_a_generated_id_is_answered_again_on_a_retry_with_the_same_key(client: TestClient) -> None:
    customer_with_invoice(client)
    body = {"customer_id": "c1", "order_id": "O1", "product_group": "power-tools", "text": "smokes"}
    keyed = {**SUPPORT, "Idempotency-Key": "call-17"}

    first = client.post("/complaints", json=body, headers=keyed)
    retry = client.post("/complaints", json=body, headers=keyed)

    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    support = client.get("/customers/c1/support", params={"min_position": first.json()["position"]}).json()
    assert support["open_complaints"] == [first.json()["complaint_id"]]


def test_support_records_a_detailed_invoice_request(client: TestClient) -> None:
    customer_with_invoice(client)

    asked = post(client, "/invoices/I1/detailed-invoice-requests", {"note": "itemise the drill bits"}, SUPPORT)

    shown = invoice(client, asked["position"])
    assert [h["kind"] for h in shown["holds"]] == ["detailed-invoice-requested"]
    support = client.get("/customers/c1/support").json()
    assert [r["note"] for r in support["open_detailed_invoice_requests"]] == ["itemise the drill bits"]


def test_support_shortens_then_revokes_its_own_promise(client: TestClient, clock) -> None:
    customer_with_invoice(client)
    post(client, "/invoices/I1/deferrals", {"until": "2026-04-30", "reason": "salary"}, SUPPORT)

    shortened = post(client, "/invoices/I1/deferrals/1/shortening", {"until": "2026-04-01", "reason": "asked"}, SUPPORT)
    [promise] = billing_of(client, shortened["position"])["promises"]
    assert (promise["number"], promise["until"], promise["shortened_from"], promise["active"]) == (
        1, "2026-04-01", "2026-04-30", True)

    not_theirs = client.post("/invoices/I1/deferrals/1/revocation", json={"reason": "mine"}, headers=BILLING)
    assert_problem(not_theirs, 409, "promise-of-another-department")
    revoked = post(client, "/invoices/I1/deferrals/1/revocation", {"reason": "customer changed mind"}, SUPPORT)

    view = billing_of(client, revoked["position"])
    [promise] = view["promises"]
    assert (promise["active"], promise["revoked_because"]) == (False, "customer changed mind")
    assert view["invoices"][0]["holds"] == []
    assert_problem(client.post("/invoices/I1/deferrals/7/revocation", json={"reason": "x"}, headers=SUPPORT),
                   404, "unknown-deferral")


def test_sales_records_an_order_taken_by_phone(client: TestClient) -> None:
    customer_with_invoice(client)

    placed = post(client, "/orders", {"customer_id": "c1", "currency": "EUR", "order_id": "T-1", "lines": [
        {"sku": "HAMMER", "product_group": "tools", "quantity": 2, "unit_price": "12.50"}]}, SALES)

    assert placed["order_id"] == "T-1"
    support = client.get("/customers/c1/support", params={"min_position": placed["position"]}).json()
    assert sorted(o["order_id"] for o in support["orders"]) == ["O1", "T-1"]
    assert_problem(client.post("/orders", json={"customer_id": "nobody", "currency": "EUR", "lines": [
        {"sku": "H", "product_group": "tools", "quantity": 1, "unit_price": "1.00"}]}, headers=SALES), 422,
        "unknown-customer")
