"""Bad input always gets a clear problem+json 4xx, and nothing already stored changes."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.api.app import create_app
from services.bootstrap import bootstrap
from services.settings import Settings
from tests.e2e.conftest import cloudevent
from tests.support.auth import keyed
from tests.support.conformance import conforming

CE = {"Content-Type": "application/cloudevents+json"}
BATCH = {"Content-Type": "application/cloudevents-batch+json"}
CUSTOMER = cloudevent("customer.registered", "c1", {"name": "Ann", "email": "ann@example.org"}, "r1")


def head(client: TestClient) -> int:
    return client.get("/health/ready").json()["head"]


def assert_problem(response, status: int, code: str) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code and body["status"] == status and body["type"] == f"/problems/{code}"
    return body


def test_a_retried_event_answers_its_original_position_and_stores_nothing(client: TestClient) -> None:
    first = client.post("/events", json=CUSTOMER, headers=CE).json()
    before = head(client)
    retry = client.post("/events", json=CUSTOMER, headers=CE)
    assert retry.status_code == 202
    assert retry.json()["position"] == first["position"]
    assert retry.json()["results"][0]["duplicate"] is True
    assert head(client) == before


def test_the_same_id_with_other_content_is_a_conflict(client: TestClient) -> None:
    client.post("/events", json=CUSTOMER, headers=CE)
    before = head(client)
    changed = {**CUSTOMER, "data": {"name": "Someone else", "email": "ann@example.org"}}
    assert_problem(client.post("/events", json=changed, headers=CE), 409, "idempotency-conflict")
    assert head(client) == before


@pytest.mark.parametrize(
    ("event", "status", "code", "location"),
    [
        ({**CUSTOMER, "type": "customer.teleported"}, 422, "unknown-event-type", ["type"]),
        ({**CUSTOMER, "data": {"name": "Ann", "email": "not-an-address"}}, 422, "invalid-event-data", ["data", "email"]),
        ({**CUSTOMER, "specversion": "0.3"}, 422, "invalid-cloudevent", ["specversion"]),
        ({k: v for k, v in CUSTOMER.items() if k != "subject"}, 422, "invalid-cloudevent", ["subject"]),
        (cloudevent("payment.received", "c1", {"invoice_id": "nope", "amount": "5", "currency": "EUR"}, "p1"),
         422, "unknown-invoice", None),
    ],
)
def test_invalid_events_are_refused_with_field_details(client: TestClient, event, status, code, location) -> None:  # noqa: ANN001
    client.post("/events", json=CUSTOMER, headers=CE)
    before = head(client)
    body = assert_problem(client.post("/events", json=event, headers=CE), status, code)
    if location is not None:
        assert location in [e["location"] for e in body["errors"]]
    assert head(client) == before


def test_a_batch_with_one_bad_event_stores_none_of_it(client: TestClient) -> None:
    batch = [CUSTOMER, cloudevent("invoice.issued", "c1", {"invoice_id": "I1", "order_id": "missing",
                                                          "amount": "10", "currency": "EUR", "due_date": "2026-04-01"}, "r2")]
    body = assert_problem(client.post("/events", content=json.dumps(batch), headers=BATCH), 422, "unknown-order")
    assert body["index"] == 1
    assert head(client) == 0


def test_malformed_json_oversized_bodies_and_unknown_media_types_are_refused(client: TestClient) -> None:
    assert_problem(client.post("/events", content=b"{not json", headers=CE), 400, "malformed-json")
    deep = b"[" * 100_000 + b"]" * 100_000
    assert_problem(client.post("/events", content=deep, headers=BATCH), 400, "malformed-json")
    big = {**CUSTOMER, "data": {"name": "x" * 300_000, "email": "ann@example.org"}}
    assert_problem(client.post("/events", content=json.dumps(big), headers=CE), 413, "payload-too-large")
    assert_problem(client.post("/events", content=b"<xml/>", headers={"Content-Type": "text/xml"}), 415,
                   "unsupported-media-type")
    assert_problem(client.post("/events", content=b"[]", headers=BATCH), 422, "invalid-batch")
    assert head(client) == 0


def test_department_commands_need_a_key_of_a_role_allowed_and_a_known_invoice(client: TestClient) -> None:
    body = {"until": "2026-04-01", "reason": "promised"}
    assert_problem(client.post("/invoices/I9/deferrals", json=body, headers={"Authorization": ""}), 401,
                   "missing-credentials")
    assert_problem(client.post("/invoices/I9/deferrals", json=body, headers={"X-Department": "sales"}), 403,
                   "forbidden")
    assert_problem(client.post("/invoices/I9/deferrals", json=body, headers={"X-Department": "support"}), 404,
                   "unknown-invoice")
    invalid = assert_problem(client.post("/invoices/I9/deferrals", json={"until": "soon"},
                                         headers={"X-Department": "support"}), 422, "invalid-request")
    assert {tuple(e["location"]) for e in invalid["errors"]} >= {("body", "until"), ("body", "reason")}


def test_a_read_beyond_the_head_answers_422_at_once_naming_the_head(client: TestClient) -> None:
    client.app.state.journey.reads.max_wait = 60  # would be noticed: the answer does not wait
    position = client.post("/events", json=CUSTOMER, headers=CE).json()["position"]
    assert client.get("/customers/c1/journey", params={"min_position": position}).status_code == 200
    for path in ("/customers/c1/journey", "/customers/c1/views", "/dunning/candidates"):
        beyond = assert_problem(client.get(path, params={"min_position": position + 100}), 422, "beyond-head")
        assert (beyond["head"], beyond["min_position"]) == (position, position + 100)
    assert_problem(client.get("/customers/nobody/billing"), 404, "unknown-customer")


def test_a_read_the_views_have_not_reached_answers_503_with_retry_after(database_url: str, clock) -> None:  # noqa: ANN001
    # Nobody projects: the views stay behind every write.
    journey = bootstrap(Settings(database_url=database_url, read_wait_seconds=0.2, project_in_process=False), clock)
    try:
        with conforming(keyed(create_app(journey=journey), journey.credentials)) as client:
            position = client.post("/events", json=CUSTOMER, headers=CE).json()["position"]

            late = client.get("/customers/c1/journey", params={"min_position": position})

            body = assert_problem(late, 503, "not-caught-up")
            assert late.headers["Retry-After"] == "1"
            assert (body["position"], body["min_position"]) == (0, position)
            journey.projector.catch_up()
            assert client.get("/customers/c1/journey", params={"min_position": position}).status_code == 200
    finally:
        journey.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=20,
)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_values, type_=st.sampled_from(["customer.registered", "order.placed", "payment.received", "x"]),
       mode=st.sampled_from(["application/cloudevents+json", "application/cloudevents-batch+json", "application/json"]))
def test_no_input_gets_a_server_error(client: TestClient, body, type_, mode) -> None:  # noqa: ANN001
    # a fresh id each time: a reused one would stop every later example at the idempotency check
    for payload in (body, {**CUSTOMER, "id": uuid.uuid4().hex, "type": type_, "data": body}):
        response = client.post("/events", content=json.dumps(payload), headers={"Content-Type": mode})
        assert response.status_code < 500, response.text
