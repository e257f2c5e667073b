"""Credentials that are not valid are refused at the door, whatever they look like and whatever
the request carries: 401 problem+json with WWW-Authenticate, never a 5xx, never 403 nor 200."""

from __future__ import annotations

import base64
import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.access import Role
from services.api.app import ROUTERS
from services.api.auth import route_permissions
from tests.hostile.conftest import EXAMPLES, Tally, hostile_settings, sent
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
            assert_refused(client.post(path, content=body, headers={**json, "X-Department": "auditor"}),
                           403, "forbidden")
    allowed = client.post("/invoices/I1/payments", content=b"{not json", headers={**json, "X-Department": "billing"})
    assert_refused(allowed, 400, "malformed-json")  # an admitted caller learns what is wrong with its body


# Credentials of every shape ----------------------------------------------------------------------

SECRET = string.ascii_letters + string.digits + "_-"
PROTECTED = sorted(route_permissions(ROUTERS))
CODES = {"missing-credentials", "malformed-credentials", "invalid-credentials", "revoked-key"}


def concrete(path: str) -> str:
    return re.sub(r"\{number\}", "1", re.sub(r"\{(\w+)\}", "x1", path))


@st.composite
def near(draw: st.DrawFn, key: str) -> str:
    """``key`` almost: one character changed, cut short, made longer, or with another prefix."""
    how = draw(st.sampled_from(["changed", "cut", "longer", "prefix"]))
    if how == "changed":
        at = draw(st.integers(3, len(key) - 1))
        alphabet = string.hexdigits.lower() if at < 19 else SECRET
        other = draw(st.sampled_from([c for c in alphabet if c != key[at]]))
        return key[:at] + other + key[at + 1:]
    if how == "cut":
        return key[: draw(st.integers(0, len(key) - 1))]
    if how == "longer":
        return key + draw(st.text(SECRET, min_size=1, max_size=50))
    return draw(st.sampled_from(["JK_", "jk-", "jk__", "kj_", ""])) + key[3:]


@st.composite
def authorizations(draw: st.DrawFn, key: str, revoked: str) -> str | bytes:
    """An Authorization header value that is not a valid credential, of any shape."""
    scheme = draw(st.sampled_from(["Bearer", "bearer", "BEARER", "Basic", "Token", "Bearer:", "", "Bearer\t"]))
    key_id = draw(st.text("0123456789abcdef", min_size=16, max_size=16))
    shaped = f"jk_{key_id}_{draw(st.text(SECRET, min_size=43, max_size=43))}"
    return draw(st.one_of(
        st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=200),
        st.binary(max_size=200),
        st.text(st.characters(min_codepoint=32, max_codepoint=255), min_size=1, max_size=100).map(
            lambda s: f"Bearer {s}".encode("latin-1")),
        st.builds(lambda unit, n: f"{scheme} {unit * n}".encode("latin-1"), st.sampled_from(["A", "jk_", "é"]),
                  st.sampled_from([1_000, 20_000, 200_000])),
        st.just(f"{scheme} {shaped}"),
        st.just(f"{scheme} {key[: 3 + 16 + 1]}{shaped[-43:]}"),  # a real key's id, another secret
        near(key).map(lambda k: f"Bearer {k}"),
        st.sampled_from(["Bearer", "Bearer revoked", "bearer  revoked"]).map(lambda s: s.replace("revoked", revoked)),
        st.just(f"Basic {base64.b64encode(key.encode()).decode()}"),
        st.just(f"Bearer eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.{key_id}"),  # an unsigned token
    ))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the door does not depend on the store
def test_no_malformed_credential_gets_past_the_door(client: KeyedClient, tally: Tally) -> None:
    journey = client.app.state.journey
    key, _ = journey.credentials.create(Role.BILLING, "bea")
    revoked, stored = journey.credentials.create(Role.AUDITOR, "gone")
    journey.credentials.revoke(stored.key_id)

    @hostile_settings(EXAMPLES * 20)
    @given(authorization=authorizations(key, revoked), route=st.sampled_from(PROTECTED))
    def refused_at_the_door(authorization: str | bytes, route: tuple[str, str]) -> None:
        method, path = route
        with tally.timed("credentials"):
            answer = sent(tally, "credentials", journey, lambda: client.request(
                method, concrete(path), json={} if method == "POST" else None,
                headers={"Authorization": authorization}))
        assert answer.status == 401, (authorization, answer.response.text[:300])
        assert answer.response.headers["content-type"] == "application/problem+json"
        assert answer.response.json()["code"] in CODES
        assert answer.response.headers["WWW-Authenticate"].startswith('Bearer realm="customer-journey", error=')

    refused_at_the_door()
