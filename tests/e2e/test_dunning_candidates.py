"""Billing pages through the dunning candidates over HTTP."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from services.clock import FixedClock
from tests.e2e.conftest import cloudevent

BATCH = {"Content-Type": "application/cloudevents-batch+json"}


def overdue_invoices(client: TestClient, count: int) -> int:
    """One customer with ``count`` orders, each invoiced and due on 1 March; the last position."""
    events = [cloudevent("customer.registered", "c1", {"name": "Ann", "email": "ann@example.org"}, "r")]
    for n in range(count):
        events.append(cloudevent("order.placed", "c1", {"order_id": f"O{n}", "currency": "EUR", "lines": [
            {"sku": "KETTLE", "product_group": "kitchen", "quantity": 1, "unit_price": "20.00"}]}, f"o{n}"))
        events.append(cloudevent("invoice.issued", "c1", {"invoice_id": f"I{n}", "order_id": f"O{n}",
                                                          "amount": "20.00", "currency": "EUR", "due_date": "2026-03-01"}, f"i{n}"))
    response = client.post("/events", content=json.dumps(events), headers=BATCH)
    assert response.status_code == 202, response.text
    return response.json()["position"]


def test_billing_pages_through_the_candidates_with_the_cursor(client: TestClient, clock: FixedClock) -> None:
    clock.set(clock.now().replace(day=20))
    position = overdue_invoices(client, 5)

    pages, cursor = [], None
    while True:
        params = {"limit": 2, "min_position": position, **({"cursor": cursor} if cursor else {})}
        page = client.get("/dunning/candidates", params=params)
        assert page.status_code == 200, page.text
        assert page.headers["X-Journey-Position"] == str(page.json()["position"])
        pages.append([c["invoice_id"] for c in page.json()["candidates"]])
        if (cursor := page.json()["next_cursor"]) is None:
            break

    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(i for p in pages for i in p) == [f"I{n}" for n in range(5)]
    assert page.json()["as_of"] == "2026-03-20"


def test_a_foreign_cursor_and_a_page_over_a_thousand_are_refused(client: TestClient) -> None:
    for params, code in (({"cursor": "not-a-cursor"}, "invalid-cursor"), ({"limit": 1001}, "invalid-request"),
                         ({"limit": 0}, "invalid-request")):
        refused = client.get("/dunning/candidates", params=params)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == code
