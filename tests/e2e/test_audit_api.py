"""The auditor's read-only API on SQLite and PostgreSQL: the stream page by page, one customer's
events, and every decision explained with the facts it was checked against."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from services.clock import FixedClock
from tests.e2e.conftest import cloudevent

BILLING = {"X-Department": "billing", "X-User": "bea"}
SUPPORT = {"X-Department": "support", "X-User": "sam"}


def history(client: TestClient, clock: FixedClock) -> dict[str, int]:
    """A customer asks for a detailed invoice, support defers, billing corrects and later duns;
    another customer is registered meanwhile. Returns the positions of the decisions."""
    lines = [{"sku": "DRILL", "product_group": "tools", "quantity": 1, "unit_price": "189.00"}]
    for event in (
        cloudevent("customer.registered", "a1", {"name": "Max Mustermann", "email": "max@example.org"}, "e1"),
        cloudevent("order.placed", "a1", {"order_id": "OA", "currency": "EUR", "lines": lines}, "e2"),
        cloudevent("invoice.issued", "a1", {"invoice_id": "IA", "order_id": "OA", "amount": "189.00",
                                            "currency": "EUR", "due_date": "2026-03-10"}, "e3"),
        cloudevent("customer.registered", "b2", {"name": "Erika Muster", "email": "erika@example.org"}, "e4"),
    ):
        assert client.post("/events", json=event).status_code == 202
    client.post("/invoices/IA/detailed-invoice-requests", json={"note": "itemise it"}, headers=SUPPORT)
    clock.set(datetime(2026, 3, 12, 9, tzinfo=UTC))
    deferral = client.post("/invoices/IA/deferrals", json={"until": "2026-03-20", "reason": "awaits it"}, headers=SUPPORT)
    corrected = client.post("/invoices/IA/corrected-invoices", json={"note": "itemised"}, headers=BILLING)
    clock.set(datetime(2026, 3, 23, 9, tzinfo=UTC))
    dunned = client.post("/invoices/IA/dunning", headers=BILLING)
    assert dunned.status_code == 201, dunned.text
    return {"deferral": deferral.json()["position"], "corrected": corrected.json()["position"],
            "dunned": dunned.json()["position"]}


def test_a_dunning_step_is_explained_with_the_facts_it_was_checked_against(client: TestClient, clock: FixedClock) -> None:
    positions = history(client, clock)
    answer = client.get(f"/audit/decisions/{positions['dunned']}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["decision"] == "dunning-step" and body["holds"] is True and body["problems"] == []
    assert (body["customer_id"], body["invoice_id"]) == ("a1", "IA")
    assert body["decided_at_position"] == positions["dunned"] - 1
    assert body["decided_by"]["department"] == "billing" and body["decided_by"]["user"] == "bea"
    checked = body["checked"]
    assert checked == body["recomputed"]
    assert checked["today"] == "2026-03-23" and checked["due_date"] == "2026-03-10"
    assert checked["holds"] == [] and checked["dunning_level"] == 0 and checked["open_detailed_requests"] == 0
    assert checked["deferrals"] == [{"number": 1, "until": "2026-03-20", "department": "support"}]
    assert checked["policy"] == {"min_interval_days": 14, "max_deferral_days": 90}
    # It depended on the invoice's events: issued, the request, the deferral, the correction.
    assert body["depends_on"] == [3, 5, positions["deferral"], positions["corrected"]]
    assert "billing:bea decided a dunning-step" in body["explanation"]
    assert "holds found: none" in body["explanation"] and "the rule holds" in body["explanation"]


def test_every_kind_of_decision_is_explained_and_a_touchpoint_is_not_one(client: TestClient, clock: FixedClock) -> None:
    positions = history(client, clock)
    deferral = client.get(f"/audit/decisions/{positions['deferral']}").json()
    assert deferral["decision"] == "payment-deferral" and deferral["holds"] is True
    assert deferral["checked"]["latest_allowed"] == "2026-06-10"
    corrected = client.get(f"/audit/decisions/{positions['corrected']}").json()
    assert corrected["decision"] == "corrected-invoice" and corrected["checked"]["open_detailed_requests"] == 1
    for position in (1, 999):
        missing = client.get(f"/audit/decisions/{position}")
        assert missing.status_code == 404 and missing.json()["code"] == "unknown-decision"


def test_the_stream_is_read_page_by_page_each_event_naming_its_customer(client: TestClient, clock: FixedClock) -> None:
    positions = history(client, clock)
    seen, start = [], 1
    while start is not None:
        page = client.get("/audit/events", params={"from_position": start, "limit": 3}).json()
        seen += page["events"]
        start = page["next_position"]
    assert [e["position"] for e in seen] == list(range(1, positions["dunned"] + 1))
    assert {e["customer_id"] for e in seen} == {"a1", "b2"}
    dunning = seen[-1]
    assert dunning["type"] == "Invoice.DunningLevelReached" and dunning["data"] == {"level": 1}
    assert dunning["checked"]["rule"] == "dunning-step"
    mine = client.get("/audit/customers/b2/events").json()
    assert [e["type"] for e in mine["events"]] == ["Customer.Registered"]
    assert client.get("/audit/customers/nobody/events").status_code == 404


def test_audit_reads_are_for_auditors_and_are_logged(client: TestClient, clock: FixedClock) -> None:
    positions = history(client, clock)
    for role in ("billing", "support", "marketing", "admin", "integrator", "privacy"):
        denied = client.get(f"/audit/decisions/{positions['dunned']}", headers={"X-Department": role})
        assert denied.status_code == 403, role
    client.get("/audit/customers/b2/events", headers={"X-Department": "auditor", "X-User": "ada"})
    views = [a["view"] for a in client.get("/customers/b2/accesses").json()["accesses"]]
    assert "audit-customer-events" in views


def test_a_person_gets_his_whole_history_and_views_as_one_document(client: TestClient, clock: FixedClock) -> None:
    positions = history(client, clock)
    privacy = {"X-Department": "privacy", "X-User": "dpo"}
    answer = client.get("/customers/a1/export", params={"min_position": positions["dunned"]}, headers=privacy)
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert document["customer_id"] == "a1" and document["position"] == positions["dunned"]
    assert [e["type"] for e in document["events"]][:3] == ["Customer.Registered", "Order.Placed", "Invoice.Issued"]
    assert document["events"][0]["data"]["name"] == "Max Mustermann"
    assert {e["customer_id"] for e in document["events"]} == {"a1"}
    assert document["views"]["billing"]["invoices"][0]["dunning_level"] == 1
    assert len(document["views"]["journey"]["touchpoints"]) == len(document["events"])
    assert client.get("/customers/a1/export").status_code == 403  # the auditor reads, the privacy officer exports
    assert client.get("/customers/nobody/export", headers=privacy).status_code == 404
    views = [a["view"] for a in client.get("/customers/a1/accesses").json()["accesses"]]
    assert "export" in views


def test_a_verification_is_started_on_request_and_its_report_read_back(client: TestClient, clock: FixedClock) -> None:
    positions = history(client, clock)
    assert client.get("/audit/verification").json() == {"running": False, "started": False, "last": None}
    started = client.get("/audit/verification", params={"run": "true"}).json()
    assert started["started"] is True
    deadline = time.monotonic() + 60
    while (answer := client.get("/audit/verification").json())["running"] or answer["last"] is None:
        assert time.monotonic() < deadline, "the verification did not finish"
        time.sleep(0.1)
    report = answer["last"]
    assert report["ok"] is True and report["first_bad_position"] is None
    assert report["position"] == positions["dunned"]
    assert {c["name"]: c["checked"] for c in report["checks"]} == {
        "hash chain": positions["dunned"], "views": report["checks"][1]["checked"], "decisions": 3}
    denied = client.get("/audit/verification", params={"run": "true"}, headers={"X-Department": "billing"})
    assert denied.status_code == 403


def test_after_an_erasure_past_views_and_the_export_show_the_person_erased_and_verify_holds(
    client: TestClient, clock: FixedClock,
) -> None:
    positions = history(client, clock)
    privacy = {"X-Department": "privacy", "X-User": "dpo"}
    before = client.get("/customers/a1/billing", params={"as_of_position": positions["deferral"]}).json()
    assert before["customer"]["name"] == "Max Mustermann"
    erased = client.delete("/customers/a1/personal-data", headers=privacy)
    assert erased.status_code == 200, erased.text
    position = erased.json()["position"]

    # The same past point now reads the person as erased; amounts, dates and levels replay as before.
    after = client.get("/customers/a1/billing", params={"as_of_position": positions["deferral"]}).json()
    assert after["customer"]["name"] == after["customer"]["email"] == "[erased]"
    def facts(view: dict) -> list[dict]:  # the invoices without the free texts behind their holds
        return [{**i, "holds": [{**h, "cause": None} for h in i["holds"]],
                 "dunning_refusals": [r["code"] for r in i["dunning_refusals"]]} for i in view["invoices"]]

    assert facts(after) == facts(before) and [h["kind"] for h in after["invoices"][0]["holds"]] == [
        "detailed-invoice-requested", "payment-deferral"]
    assert after["invoices"][0]["holds"][0]["cause"] == "[erased]"
    live = client.get("/customers/a1/views", params={"min_position": position}).json()
    assert client.get("/customers/a1/views", params={"as_of_position": position}).json() == live
    journey = client.get("/customers/a1/journey", params={"as_of_position": position}).json()
    assert journey["touchpoints"][-1]["type"] == "Customer.PersonalDataErased"

    document = client.get("/customers/a1/export", params={"min_position": position}, headers=privacy).json()
    assert document["erased_at_position"] == position
    assert document["events"][0]["data"]["name"] == "[erased]"
    assert "Max" not in str(document) and "itemise" not in str(document)
    explained = client.get(f"/audit/decisions/{positions['dunned']}").json()
    assert explained["holds"] is True  # the decision still checks true on the erased history

    client.get("/audit/verification", params={"run": "true"})
    deadline = time.monotonic() + 60
    while (answer := client.get("/audit/verification").json())["running"] or answer["last"] is None:
        assert time.monotonic() < deadline, "the verification did not finish"
        time.sleep(0.1)
    assert answer["last"]["ok"] is True, answer["last"]


def test_an_export_of_a_customer_id_beyond_latin_1_names_its_file_in_utf_8(client: TestClient) -> None:
    customer = "\u0110or\u0111e"
    assert client.post("/events", json=cloudevent("customer.registered", customer, {
        "name": "Đorđe", "email": "d@example.org"}, "u1")).status_code == 202
    answer = client.get(f"/customers/{customer}/export", params={"min_position": 1},
                        headers={"X-Department": "privacy"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Disposition"] == "attachment; filename*=UTF-8''%C4%90or%C4%91e.json"
