"""Department commands under an Idempotency-Key: a retry answers the original result and stores
nothing; the same key with another request is 422. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from services.clock import FixedClock
from tests.e2e.conftest import cloudevent

BILLING = {"X-Department": "billing", "X-User": "bea"}
SUPPORT = {"X-Department": "support", "X-User": "sam"}

#: Every department command: (path, body, headers), on invoice INV-1 / complaint K-1, in an
#: order in which each is allowed.
COMMANDS = [
    ("/invoices/INV-1/corrected-invoices", {"note": "itemised"}, BILLING),
    ("/invoices/INV-1/dunning", None, BILLING),
    ("/invoices/INV-1/deferrals", {"until": "2026-04-10", "reason": "salary comes late"}, SUPPORT),
    ("/invoices/INV-1/disputes", {"reason": "the fee"}, SUPPORT),
    ("/invoices/INV-1/dispute-resolution", {"resolution": "fee waived"}, BILLING),
    ("/complaints/K-1/answers", {"text": "a new one is on its way"}, SUPPORT),
    ("/complaints/K-1/resolution", {"note": "replaced"}, SUPPORT),
]


def head(client: TestClient) -> int:
    """The stream's head, from the service behind the API."""
    return client.app.state.journey.service.head()  # type: ignore[attr-defined]


@pytest.fixture
def customer(client: TestClient, clock: FixedClock) -> TestClient:
    """C-1 with order O-1, its invoice INV-1 (overdue on 2026-04-01) and complaint K-1 on O-2."""
    batch = [
        cloudevent("customer.registered", "C-1", {"name": "Ann", "email": "ann@example.org"}, "e1"),
        cloudevent("order.placed", "C-1", {"order_id": "O-1", "currency": "EUR", "lines": [
            {"sku": "S", "product_group": "tools", "quantity": 1, "unit_price": "50.00"}]}, "e2"),
        cloudevent("order.placed", "C-1", {"order_id": "O-2", "currency": "EUR", "lines": [
            {"sku": "T", "product_group": "garden", "quantity": 1, "unit_price": "5.00"}]}, "e3"),
        cloudevent("invoice.issued", "C-1", {"invoice_id": "INV-1", "order_id": "O-1", "amount": "50.00",
                                             "currency": "EUR", "due_date": "2026-03-16"}, "e4"),
        cloudevent("complaint.filed", "C-1", {"complaint_id": "K-1", "order_id": "O-2", "product_group": "garden",
                                              "text": "the hose bursts"}, "e5"),
    ]
    answer = client.post("/events", content=json.dumps(batch), headers={"Content-Type": "application/cloudevents-batch+json"})
    assert answer.status_code == 202, answer.text
    clock.set(datetime(2026, 4, 1, 9, tzinfo=UTC))
    return client


def test_a_retried_department_command_answers_the_original_result_and_stores_nothing(customer: TestClient) -> None:
    client = customer
    for n, (path, body, headers) in enumerate(COMMANDS):
        keyed = {**headers, "Idempotency-Key": f"key-{n}"}
        # 1. the command is carried out once
        first = client.post(path, json=body, headers=keyed)
        assert first.status_code == 201, (path, first.text)
        position = head(client)

        # 2. its retry answers the same result, says it is a replay, and stores nothing
        retry = client.post(path, json=body, headers=keyed)
        assert (retry.status_code, retry.json()) == (201, first.json()), path
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert head(client) == position


def test_a_dunning_retry_is_told_the_level_it_reached_even_after_a_later_step(customer: TestClient, clock: FixedClock) -> None:
    client = customer
    first = client.post("/invoices/INV-1/dunning", headers={**BILLING, "Idempotency-Key": "dun-1"})
    clock.set(datetime(2026, 4, 20, 9, tzinfo=UTC))
    second = client.post("/invoices/INV-1/dunning", headers={**BILLING, "Idempotency-Key": "dun-2"})

    retry = client.post("/invoices/INV-1/dunning", headers={**BILLING, "Idempotency-Key": "dun-1"})

    assert [first.json()["level"], second.json()["level"], retry.json()["level"]] == [1, 2, 1]
    assert retry.json()["position"] == first.json()["position"]


def test_the_same_key_with_another_request_is_refused_and_stores_nothing(customer: TestClient) -> None:
    client = customer
    keyed = {**SUPPORT, "Idempotency-Key": "k-1"}
    assert client.post("/invoices/INV-1/disputes", json={"reason": "the fee"}, headers=keyed).status_code == 201
    position = head(client)

    other_body = client.post("/invoices/INV-1/disputes", json={"reason": "the price"}, headers=keyed)
    other_path = client.post("/complaints/K-1/answers", json={"text": "the fee"}, headers=keyed)

    for refused in (other_body, other_path):
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "idempotency-key-reused"
    assert head(client) == position


def test_without_a_key_a_command_behaves_as_before(customer: TestClient) -> None:
    client = customer
    first = client.post("/invoices/INV-1/disputes", json={"reason": "the fee"}, headers=SUPPORT)
    again = client.post("/invoices/INV-1/disputes", json={"reason": "the fee"}, headers=SUPPORT)

    assert first.status_code == 201
    assert again.status_code == 409  # already disputed: a new request, refused by the rule


def test_each_department_and_user_has_its_own_keys(customer: TestClient) -> None:
    client = customer
    sam = client.post("/invoices/INV-1/disputes", json={"reason": "the fee"},
                      headers={**SUPPORT, "Idempotency-Key": "1"})
    bea = client.post("/invoices/INV-1/detailed-invoice-requests", json={"note": "per line"},
                      headers={**BILLING, "Idempotency-Key": "1"})

    assert (sam.status_code, bea.status_code) == (201, 201)
    assert bea.json()["position"] == sam.json()["position"] + 1
