"""Credentials that are not valid are refused at the door, whatever they look like and whatever
the request carries: 401 problem+json with WWW-Authenticate, never a 5xx, never 403 nor 200."""

from __future__ import annotations

import pytest

from services.api.app import ROUTERS
from services.api.auth import route_permissions
from tests.support.auth import KeyedClient

#: Protected routes taking a JSON body, with a concrete path.
BODY_ROUTES = sorted(
    path.replace("{number}", "1").replace("{invoice_id}", "I1").replace("{complaint_id}", "K1")
    .replace("{customer_id}", "c1").replace("{key_id}", "0123456789abcdef")
    for method, path in route_permissions(ROUTERS) if method == "POST"
)
UNREADABLE = [b"\x00", b"{not json", b"[" * 5000 + b"]" * 5000, b'{"n": ' + b"9" * 5000 + b"}"]


def assert_refused(answer, status: int, code: str) -> None:  # noqa: ANN001
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_body_the_api_cannot_read_is_refused_at_the_door_before_it_is_read(client: KeyedClient) -> None:
    # FastAPI parses a JSON body before the route's dependencies run: the door must still come first
    json = {"Content-Type": "application/json"}
    for path in BODY_ROUTES:
        for body in UNREADABLE:
            anonymous = client.post(path, content=body, headers={**json, "Authorization": ""})
            assert_refused(anonymous, 401, "missing-credentials")
            assert anonymous.headers["WWW-Authenticate"].startswith('Bearer realm="customer-journey"')
            assert_refused(client.post(path, content=body, headers={**json, "Authorization": "Bearer jk_0"}),
                           401, "malformed-credentials")
            assert_refused(client.post(path, content=body, headers={**json, "X-Department": "marketing"}),
                           403, "forbidden")
    allowed = client.post("/invoices/I1/payments", content=b"{not json", headers={**json, "X-Department": "billing"})
    assert_refused(allowed, 400, "malformed-json")  # an admitted caller learns what is wrong with its body
