"""Auditors read any customer view as it stood at a past position or time, on SQLite and
PostgreSQL: the answer equals what the live view answered then."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from fastapi.testclient import TestClient

from services.clock import FixedClock
from tests.e2e.conftest import cloudevent

BILLING = {"X-Department": "billing", "X-User": "bea"}
SUPPORT = {"X-Department": "support", "X-User": "sam"}
ROUTES = ("views", "billing", "support", "journey")


def story(client: TestClient, clock: FixedClock) -> list[Callable[[], httpx.Response]]:
    """Two customers' touchpoints, interleaved, with the business clock moving between some."""

    def at(day: int) -> None:
        clock.set(datetime(2026, 3, day, 9, 0, tzinfo=UTC))

    def ce(type_: str, subject: str, data: dict, id_: str) -> Callable[[], httpx.Response]:
        return lambda: client.post("/events", json=cloudevent(type_, subject, data, id_))

    def command(path: str, body: dict | None, headers: dict, day: int | None = None) -> Callable[[], httpx.Response]:
        def post() -> httpx.Response:
            if day is not None:
                at(day)
            return client.post(path, json=body, headers=headers)
        return post

    lines = [{"sku": "DRILL", "product_group": "tools", "quantity": 1, "unit_price": "189.00"}]
    return [
        ce("customer.registered", "a1", {"name": "Max Mustermann", "email": "max@example.org"}, "e1"),
        ce("order.placed", "a1", {"order_id": "OA", "currency": "EUR", "lines": lines}, "e2"),
        ce("customer.registered", "b2", {"name": "Erika Muster", "email": "erika@example.org"}, "e3"),
        ce("invoice.issued", "a1", {"invoice_id": "IA", "order_id": "OA", "amount": "189.00", "currency": "EUR",
                                    "due_date": "2026-03-10"}, "e4"),
        ce("order.placed", "b2", {"order_id": "OB", "currency": "EUR", "lines": lines}, "e5"),
        ce("invoice.issued", "b2", {"invoice_id": "IB", "order_id": "OB", "amount": "189.00", "currency": "EUR",
                                    "due_date": "2026-03-12"}, "e6"),
        command("/invoices/IA/detailed-invoice-requests", {"note": "itemise it"}, SUPPORT, day=5),
        command("/invoices/IA/deferrals", {"until": "2026-03-20", "reason": "awaits the detailed invoice"}, SUPPORT),
        ce("complaint.filed", "b2", {"complaint_id": "KB", "order_id": "OB", "product_group": "tools",
                                     "text": "the drill rattles"}, "e7"),
        command("/invoices/IA/corrected-invoices", {"note": "itemised"}, BILLING, day=15),
        command("/invoices/IB/dunning", None, BILLING, day=16),  # refused: complaint KB is open
        command("/complaints/KB/resolution", {"note": "replaced"}, SUPPORT),
        command("/invoices/IB/dunning", None, BILLING),
        command("/invoices/IA/dunning", None, BILLING, day=22),
        ce("payment.received", "b2", {"invoice_id": "IB", "amount": "100.00", "currency": "EUR"}, "e8"),
    ]


def test_a_past_view_equals_what_the_live_view_answered_then(client: TestClient, clock: FixedClock) -> None:
    captured: list[tuple[int, str, str, dict]] = []
    for step in story(client, clock):
        response = step()
        if response.status_code >= 300:
            assert response.status_code == 409, response.text  # the refused step: nothing written
            continue
        position = response.json()["position"]
        for customer in ("a1", "b2"):
            for route in ROUTES:
                live = client.get(f"/customers/{customer}/{route}", params={"min_position": position})
                if live.status_code == 404:  # b2 is not registered yet
                    continue
                assert live.json()["position"] == position
                captured.append((position, customer, route, live.json()))
    assert len(captured) > 80
    clock.set(datetime(2026, 6, 1, tzinfo=UTC))  # long after: "now" must not leak into the past
    for position, customer, route, live in captured:
        past = client.get(f"/customers/{customer}/{route}", params={"as_of_position": position})
        assert past.status_code == 200, past.text
        assert past.headers["X-Journey-Position"] == str(position)
        assert past.json() == live, (position, customer, route)


def test_a_view_at_a_time_is_the_view_at_the_newest_position_recorded_by_then(client: TestClient, clock: FixedClock) -> None:
    clock.set(datetime.now(UTC))  # the business day is today's, as it is in production
    marks: list[tuple[datetime, dict]] = []
    for n, amount in enumerate(("10.00", "20.00", "30.00")):
        if n == 0:
            client.post("/events", json=cloudevent("customer.registered", "t1", {"name": "Tim", "email": "t@example.org"}, "t0"))
            client.post("/events", json=cloudevent("order.placed", "t1", {"order_id": "OT", "currency": "EUR", "lines": [
                {"sku": "SAW", "product_group": "tools", "quantity": 1, "unit_price": "100.00"}]}, "t1"))
            client.post("/events", json=cloudevent("invoice.issued", "t1", {
                "invoice_id": "IT", "order_id": "OT", "amount": "100.00", "currency": "EUR",
                "due_date": (clock.now().date() + timedelta(days=10)).isoformat()}, "t2"))
        written = client.post("/events", json=cloudevent("payment.received", "t1", {
            "invoice_id": "IT", "amount": amount, "currency": "EUR"}, f"p{n}"))
        position = written.json()["position"]
        live = client.get("/customers/t1/billing", params={"min_position": position}).json()
        marks.append((datetime.now(UTC), live))
    for when, live in marks:
        past = client.get("/customers/t1/billing", params={"as_of": when.isoformat()})
        assert past.status_code == 200, past.text
        assert past.json() == live
    before = client.get("/customers/t1/billing", params={"as_of": "2020-01-01T00:00:00Z"})
    assert before.status_code == 404 and before.json()["code"] == "unknown-customer"


def test_a_point_in_time_that_cannot_be_read_is_refused_with_a_reason(client: TestClient) -> None:
    client.post("/events", json=cloudevent("customer.registered", "r1", {"name": "Rea", "email": "r@example.org"}, "r0"))
    both = client.get("/customers/r1/billing", params={"as_of_position": 1, "as_of": "2026-03-01T00:00:00Z"})
    assert both.status_code == 422 and both.json()["code"] == "conflicting-parameters"
    beyond = client.get("/customers/r1/billing", params={"as_of_position": 999})
    assert beyond.status_code == 422
    naive = client.get("/customers/r1/billing", params={"as_of": "2026-03-01T00:00:00"})
    assert naive.status_code == 422
