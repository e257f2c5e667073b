"""Who may see and do what: every cell of the role x endpoint matrix, credentials that are not
valid, headers that try to speak for someone else, source binding, rate limits, what each role
is shown, and the access log. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from domain.access import GRANTS, Role
from services.api import security_doc
from services.api.app import ROUTERS, create_app
from services.api.auth import route_permissions
from services.bootstrap import bootstrap
from services.clock import FixedClock
from services.settings import Settings
from tests.e2e.conftest import cloudevent
from tests.e2e.test_api_errors import BATCH, CE, assert_problem
from tests.support.auth import KeyRing
from tests.support.conformance import conforming

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ("/docs", "/openapi.json", "/health/live", "/health/ready")


def story(client: TestClient) -> int:
    """c1 with an order, an overdue invoice paid in part and an open complaint; returns the position."""
    events = [
        cloudevent("customer.registered", "c1", {"name": "Ann Example", "email": "ann@example.org"}, "e1"),
        cloudevent("order.placed", "c1", {"order_id": "O1", "currency": "EUR", "lines": [
            {"sku": "DRILL", "product_group": "tools", "quantity": 1, "unit_price": "100.00"}]}, "e2"),
        cloudevent("invoice.issued", "c1", {"invoice_id": "I1", "order_id": "O1", "amount": "100.00",
                                            "currency": "EUR", "due_date": "2026-02-01"}, "e3"),
        cloudevent("payment.received", "c1", {"invoice_id": "I1", "amount": "30.00", "currency": "EUR"}, "e4"),
        cloudevent("complaint.filed", "c1", {"complaint_id": "K1", "order_id": "O1", "product_group": "tools",
                                             "text": "the drill smokes"}, "e5"),
    ]
    answer = client.post("/events", json=events, headers=BATCH)
    assert answer.status_code == 202, answer.text
    return answer.json()["position"]


def concrete(path: str) -> str:
    return re.sub(r"\{number\}", "1", re.sub(r"\{(\w+)\}", "x1", path))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the door does not depend on the store
def test_every_role_is_allowed_exactly_the_endpoints_the_matrix_grants(client: TestClient) -> None:
    keys: KeyRing = client.keyring
    routes = route_permissions(ROUTERS)
    assert len(routes) >= 30
    for (method, path), permissions in routes.items():
        for role in Role:
            answer = client.request(method, concrete(path), json={}, headers=keys.headers(role))
            if set(permissions) <= GRANTS[role]:
                assert answer.status_code not in (401, 403), (method, path, role, answer.text)
            else:
                problem = assert_problem(answer, 403, "forbidden")
                assert problem["missing_permissions"] == [p.value for p in permissions if p not in GRANTS[role]]
                assert problem["role"] == role.value


def test_every_operation_but_the_public_ones_needs_permissions(client: TestClient) -> None:
    document = client.app.openapi()
    open_to_all = [f"{method.upper()} {path}" for path, item in document["paths"].items() for method, operation
                   in item.items() if not operation.get("security")]
    assert sorted(open_to_all) == ["GET /health/live", "GET /health/ready"]
    assert len(route_permissions(ROUTERS)) == sum(len(item) for item in document["paths"].values()) - 2


def test_the_matrix_in_the_security_doc_is_the_one_in_the_code() -> None:
    document = (ROOT / "docs" / "security.md").read_text()
    assert security_doc.render(document) == document, "run: python -m services.api.security_doc"


def test_without_credentials_every_protected_route_is_401_and_the_public_ones_answer(client: TestClient) -> None:
    for method, path in route_permissions(ROUTERS):
        answer = client.request(method, concrete(path), json={}, headers={"Authorization": ""})
        assert_problem(answer, 401, "missing-credentials")
        assert answer.headers["WWW-Authenticate"].startswith('Bearer realm="customer-journey"')
    for path in PUBLIC:
        assert client.get(path, headers={"Authorization": ""}).status_code == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the door does not depend on the store
@pytest.mark.parametrize(("header", "code"), [
    ("Basic YWxpY2U6c2VjcmV0", "malformed-credentials"),
    ("Bearer", "malformed-credentials"),
    ("Bearer not-a-key", "malformed-credentials"),
    ("Bearer jk_0123456789abcdef_" + "A" * 43, "invalid-credentials"),
])
def test_credentials_that_are_not_a_valid_key_are_401(client: TestClient, header: str, code: str) -> None:
    answer = client.get("/customers/c1/journey", headers={"Authorization": header})
    assert_problem(answer, 401, code)
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_a_known_key_id_with_another_secret_and_a_revoked_key_are_refused(client: TestClient) -> None:
    journey = client.app.state.journey
    key, stored = journey.credentials.create(Role.AUDITOR, "ada")
    forged = key[: len("jk_") + 16 + 1] + "B" * 43
    assert_problem(client.get("/customers", headers={"Authorization": f"Bearer {forged}"}), 401, "invalid-credentials")
    assert client.get("/customers", headers={"Authorization": f"Bearer {key}"}).status_code == 200

    journey.credentials.revoke(stored.key_id)

    assert_problem(client.get("/customers", headers={"Authorization": f"Bearer {key}"}), 401, "revoked-key")


def test_the_actor_comes_from_the_key_never_from_a_header(client: TestClient) -> None:
    story(client)
    keys: KeyRing = client.keyring
    support = {**keys.headers("support", "sam"), "X-Department": "billing", "X-User": "mallory"}

    assert_problem(client.post("/invoices/I1/dunning", headers=support), 403, "forbidden")
    granted = client.post("/invoices/I1/deferrals", json={"until": "2026-03-20", "reason": "promised"}, headers=support)

    assert granted.status_code == 201, granted.text
    [deferral] = [t for t in client.get("/customers/c1/journey", params={"min_position": granted.json()["position"]})
                  .json()["touchpoints"] if t["type"] == "Invoice.PaymentDeferralGranted"]
    assert (deferral["actor"]["department"], deferral["actor"]["user"]) == ("support", "sam")


def test_an_integrator_publishes_only_for_the_sources_bound_to_its_key(client: TestClient) -> None:
    journey = client.app.state.journey
    key, _ = journey.credentials.create(Role.INTEGRATOR, "shop-connector", ["shop"])
    shop = {**BATCH, "Authorization": f"Bearer {key}"}
    foreign = {**cloudevent("customer.registered", "c2", {"name": "Bo", "email": "bo@example.org"}, "f1"),
               "source": "payments"}
    mine = cloudevent("customer.registered", "c3", {"name": "Cy", "email": "cy@example.org"}, "m1")
    head = journey.service.head()

    refused = assert_problem(client.post("/events", json=[mine, foreign], headers=shop), 403, "source-not-bound")

    assert (refused["index"], refused["source"], refused["sources"]) == (1, "payments", ["shop"])
    assert journey.service.head() == head  # nothing of the batch is stored
    stored = client.post("/events", json=[mine], headers=shop)
    assert stored.status_code == 202
    [touchpoint] = client.get("/customers/c3/journey", params={"min_position": stored.json()["position"]}).json()["touchpoints"]
    assert touchpoint["actor"] == {"department": "integrator", "user": "shop-connector", "source": "shop",
                                   "event_id": "m1"}


def test_a_credential_over_its_rate_is_429_with_retry_after_and_others_are_not_held(
    database_url: str, clock: FixedClock
) -> None:
    settings = Settings(database_url=database_url, rate_limit_per_second=0.01, rate_limit_burst=2)
    journey = bootstrap(settings, clock)
    try:
        with conforming(TestClient(create_app(journey=journey))) as client:
            keys = KeyRing(journey.credentials)
            busy, other = keys.headers("auditor", "busy"), keys.headers("auditor", "other")
            answers = [client.get("/customers", headers=busy).status_code for _ in range(2)]
            limited = client.get("/customers", headers=busy)

            assert answers == [200, 200]
            assert_problem(limited, 429, "rate-limited")
            assert int(limited.headers["Retry-After"]) >= 1
            assert client.get("/customers", headers=other).status_code == 200
    finally:
        journey.close()


def test_marketing_sees_no_complaint_texts_and_no_payment_details(client: TestClient) -> None:
    position = story(client)
    keys: KeyRing = client.keyring

    seen = client.get("/customers/c1/journey", params={"min_position": position}, headers=keys.headers("marketing"))
    full = client.get("/customers/c1/journey", headers=keys.headers("support")).json()["touchpoints"]

    marketing = {t["type"]: t for t in seen.json()["touchpoints"]}
    assert all(t["actor"]["user"] is None for t in seen.json()["touchpoints"] if t["department"] != "integrator")
    assert marketing["Invoice.PaymentReceived"]["data"] == {"hidden": ["amount"]}
    assert marketing["Invoice.PaymentReceived"]["summary"] is None
    assert "text" not in marketing["Complaint.Filed"]["data"]
    assert marketing["Complaint.Filed"]["data"]["hidden"] == ["text"]
    assert "the drill smokes" not in seen.text and "30.00" not in seen.text
    assert any("the drill smokes" in str(t["data"]) for t in full)  # support sees it
    assert_problem(client.get("/customers/c1/billing", headers=keys.headers("marketing")), 403, "forbidden")


def test_support_sees_billing_status_and_holds_but_not_the_dunning_worklists(client: TestClient) -> None:
    position = story(client)
    support = client.keyring.headers("support")

    billing = client.get("/customers/c1/billing", params={"min_position": position}, headers=support)

    assert billing.status_code == 200
    assert billing.json()["invoices"][0]["holds"]  # the open complaint holds dunning
    for path in ("/dunning/candidates", "/worklists/in-collection", "/worklists/aged-receivables"):
        assert_problem(client.get(path, headers=support), 403, "forbidden")


def test_every_read_of_a_customer_is_in_the_access_log_and_only_the_auditor_lists_it(client: TestClient) -> None:
    position = story(client)
    keys: KeyRing = client.keyring
    client.get("/customers/c1/billing", params={"min_position": position}, headers=keys.headers("billing", "bea"))
    client.get("/invoices/I1", headers=keys.headers("support", "sam"))
    client.get("/customers", params={"q": "ann"}, headers=keys.headers("marketing", "mia"))
    assert client.get("/customers/nobody/billing", headers=keys.headers("billing", "bea")).status_code == 404
    assert client.get("/customers/c1/billing", headers=keys.headers("marketing", "mia")).status_code == 403

    accesses = client.get("/customers/c1/accesses", headers=keys.headers("auditor", "ada"))

    rows = [(a["principal"], a["role"], a["view"]) for a in accesses.json()["accesses"]]
    assert all(a["credential"].startswith("key:") for a in accesses.json()["accesses"])
    assert rows == [("bea", "billing", "billing"), ("sam", "support", "invoice"), ("mia", "marketing", "customers")]
    assert_problem(client.get("/customers/nobody/accesses", headers=keys.headers("auditor")), 404, "unknown-customer")
    for role in ("billing", "support", "marketing", "admin"):
        assert_problem(client.get("/customers/c1/accesses", headers=keys.headers(role)), 403, "forbidden")


def test_the_access_log_pages_and_the_database_refuses_to_rewrite_it(client: TestClient) -> None:
    position = story(client)
    keys: KeyRing = client.keyring
    for _ in range(3):
        client.get("/customers/c1/views", params={"min_position": position}, headers=keys.headers("billing"))
    auditor = keys.headers("auditor")

    for forged in ("YWNjZXNzZXMKeA", "YWNjZXNzZXMKOTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"):  # "x", 30 digits
        assert_problem(client.get("/customers/c1/accesses", params={"cursor": forged}, headers=auditor), 422,
                       "invalid-cursor")
    first = client.get("/customers/c1/accesses", params={"limit": 2}, headers=auditor).json()
    rest = client.get("/customers/c1/accesses", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auditor).json()

    assert [len(first["accesses"]), len(rest["accesses"])] == [2, 1]
    tables = client.app.state.journey.access_log.tables
    for statement in (f"UPDATE {tables.accesses} SET principal = 'nobody'", f"DELETE FROM {tables.accesses}"):
        with pytest.raises(Exception, match="append-only"):  # noqa: PT011 -- sqlite3 and psycopg raise their own types
            with tables.datastore.transaction(commit=True) as cursor:
                cursor.execute(statement)
    assert len(client.get("/customers/c1/accesses", headers=auditor).json()["accesses"]) == 3  # listing is no access


def test_the_admin_manages_keys_and_sees_no_customer_data(client: TestClient) -> None:
    story(client)
    admin = client.keyring.headers("admin", "ops")

    created = client.post("/admin/keys", json={"role": "integrator", "name": "till", "sources": ["till"]}, headers=admin)
    no_source = client.post("/admin/keys", json={"role": "integrator"}, headers=admin)

    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert_problem(no_source, 422, "domain-rule")
    listed = client.get("/admin/keys", headers=admin).json()["keys"]
    assert {"till"} <= {k["name"] for k in listed} and key not in str(listed)
    event = {**cloudevent("customer.registered", "c9", {"name": "Di", "email": "di@example.org"}, "t1"), "source": "till"}
    assert client.post("/events", json=event, headers={**CE, "Authorization": f"Bearer {key}"}).status_code == 202
    revoked = client.post(f"/admin/keys/{created.json()['key_id']}/revocation", headers=admin)
    assert revoked.json()["revoked_at"] is not None
    assert_problem(client.post("/events", json=event, headers={**CE, "Authorization": f"Bearer {key}"}), 401,
                   "revoked-key")
    configuration = client.get("/admin/configuration", headers=admin).json()
    assert configuration["rate_limit_per_second"] == 1000
    for path in ("/customers/c1/journey", "/customers", "/invoices/I1"):
        assert_problem(client.get(path, headers=admin), 403, "forbidden")


def test_reads_at_the_same_moment_are_each_recorded_once(client: TestClient) -> None:
    position = story(client)
    keys: KeyRing = client.keyring
    billing = keys.headers("billing", "bea")

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: client.get("/customers/c1/billing", params={"min_position": position},
                                                     headers=billing).status_code, range(40)))

    assert answers == [200] * 40
    rows = client.get("/customers/c1/accesses", params={"limit": 1000}, headers=keys.headers("auditor")).json()
    assert len(rows["accesses"]) == 40 and len({a["seq"] for a in rows["accesses"]}) == 40
