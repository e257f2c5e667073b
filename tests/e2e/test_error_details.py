"""A refused request says how to fix it, and keeps the machine-readable errors."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # no store is reached

SUPPORT = {"X-Department": "support"}
BILLING = {"X-Department": "billing"}


def refused(response, status: int, code: str) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    for error in body.get("errors", []):
        assert {"location", "message", "type", "hint"} <= set(error)
    return body


def test_a_json_body_sent_as_another_media_type_is_told_to_send_content_type_json(client: TestClient) -> None:
    body = json.dumps({"until": "2026-04-01", "reason": "promised"})
    answer = client.post("/invoices/I9/deferrals", content=body, headers={**SUPPORT, "Content-Type": "text/plain"})
    problem = refused(answer, 422, "invalid-request")
    assert "send Content-Type: application/json" in problem["detail"]
    assert problem["errors"][0]["location"] == ["body"]


def test_a_date_in_another_format_is_told_how_dates_are_written(client: TestClient) -> None:
    answer = client.post("/invoices/I9/deferrals", json={"until": "01.04.2026", "reason": "promised"}, headers=SUPPORT)
    problem = refused(answer, 422, "invalid-request")
    assert problem["detail"] == "until: dates are written YYYY-MM-DD, e.g. 2026-04-01"
    assert problem["errors"][0]["location"] == ["body", "until"]
    assert problem["errors"][0]["type"] == "date_from_datetime_parsing"


def test_an_amount_with_a_decimal_comma_is_told_to_use_a_decimal_point(client: TestClient) -> None:
    answer = client.post("/invoices/I9/corrected-invoices", json={"amount": "906,50", "currency": "EUR"}, headers=BILLING)
    problem = refused(answer, 422, "invalid-request")
    assert "amount: write amounts with a decimal point, not a comma" in problem["detail"]
    assert problem["errors"][0]["location"] == ["body", "amount"]


def test_a_missing_field_is_named_as_required(client: TestClient) -> None:
    problem = refused(client.post("/invoices/I9/deferrals", json={"until": "2026-04-01"}, headers=SUPPORT),
                      422, "invalid-request")
    assert problem["detail"] == "reason is required"
    assert problem["errors"] == [{"location": ["body", "reason"], "message": "Field required", "type": "missing",
                                  "hint": "reason is required"}]


def test_an_unknown_field_is_told_to_be_removed_and_every_hint_is_in_the_detail(client: TestClient) -> None:
    answer = client.post("/invoices/I9/disputes", json={"reason": "", "urgent": True}, headers=BILLING)
    problem = refused(answer, 422, "invalid-request")
    assert problem["detail"] == "reason must not be empty; urgent is not a field of this request; remove it"


def test_a_department_command_without_credentials_is_a_401_saying_what_to_send(client: TestClient) -> None:
    answer = client.post("/invoices/I9/deferrals", json={"until": "soon"}, headers={"Authorization": ""})
    problem = refused(answer, 401, "missing-credentials")
    assert problem["detail"] == "send Authorization: Bearer <API key or token>"
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="customer-journey", error="invalid_request"'
    assert client.post("/invoices/I9/dunning", headers=BILLING).status_code == 404


def test_malformed_json_says_what_the_parser_saw(client: TestClient) -> None:
    answer = client.post("/invoices/I9/deferrals", content=b'{"until": ', headers={**SUPPORT, "Content-Type": "application/json"})
    problem = refused(answer, 400, "malformed-json")
    assert problem["detail"].startswith("send valid JSON (")


def test_a_query_parameter_out_of_range_names_the_parameter(client: TestClient) -> None:
    problem = refused(client.get("/dunning/candidates", params={"limit": "lots"}), 422, "invalid-request")
    assert problem["detail"] == "limit must be a whole number"


def test_a_cloudevent_with_bad_data_is_told_how_to_fix_each_field(client: TestClient) -> None:
    event = {"specversion": "1.0", "id": "p1", "source": "shop", "type": "payment.received", "subject": "c1",
             "data": {"invoice_id": "I1", "amount": "906,50", "currency": "EUR", "paid_on": "01.04.2026"}}

    answer = client.post("/events", json=event, headers={"Content-Type": "application/cloudevents+json"})

    problem = refused(answer, 422, "invalid-event-data")
    assert problem["detail"].startswith("the data of a payment.received event is invalid: ")
    assert "amount: write amounts with a decimal point, not a comma" in problem["detail"]
    assert "paid_on is not a field of this request; remove it" in problem["detail"]
    assert [e["location"] for e in problem["errors"]] == [["data", "amount"], ["data", "paid_on"]]
    assert all("input" not in e for e in problem["errors"])  # what was sent is not echoed back
