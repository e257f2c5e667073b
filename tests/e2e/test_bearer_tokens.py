"""OAuth2 bearer tokens (JWT) of a configured issuer, beside API keys: the role and the actor
come from the token's claims; expired, foreign-signed, unsigned and malformed tokens are 401."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from services.bootstrap import bootstrap
from services.clock import FixedClock
from services.settings import Settings
from tests.e2e.conftest import cloudevent
from tests.e2e.test_access_control import story
from tests.e2e.test_api_errors import CE, assert_problem
from tests.support.auth import keyed
from tests.support.conformance import conforming
from tests.support.tokens import AUDIENCE, ISSUER, public_pem, rsa_key, sign, unsigned

KEY = rsa_key()


def token(key=KEY, **claims) -> dict[str, str]:  # noqa: ANN001
    """The Authorization header of a token valid for an hour from now (real time: tokens are)."""
    now = datetime.now(UTC)
    return {"Authorization": f"Bearer {sign(key, **{'iat': now, 'exp': now + timedelta(hours=1), **claims})}"}


@pytest.fixture
def client(database_url: str, clock: FixedClock) -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE,
                        jwt_public_key=public_pem(KEY), rate_limit_per_second=1000, rate_limit_burst=1000)
    journey = bootstrap(settings, clock)
    with conforming(keyed(create_app(journey=journey), journey.credentials)) as test_client:
        yield test_client
    journey.close()


def test_a_token_acts_with_its_role_and_is_recorded_as_its_subject(client: TestClient) -> None:
    story(client)  # published with an API key: keys and tokens work side by side
    support = token(role="support", sub="sam@idp")

    granted = client.post("/invoices/I1/deferrals", json={"until": "2026-03-20", "reason": "promised"},
                          headers={**support, "X-Department": "billing", "X-User": "mallory"})

    assert granted.status_code == 201, granted.text
    touchpoints = client.get("/customers/c1/journey", params={"min_position": granted.json()["position"]},
                             headers=support).json()["touchpoints"]
    [deferral] = [t for t in touchpoints if t["type"] == "Invoice.PaymentDeferralGranted"]
    assert (deferral["actor"]["department"], deferral["actor"]["user"]) == ("support", "sam@idp")
    assert_problem(client.post("/invoices/I1/dunning", headers=support), 403, "forbidden")
    assert_problem(client.get("/dunning/candidates", headers=token(role="marketing")), 403, "forbidden")


def test_an_integrator_token_publishes_for_the_sources_it_names(client: TestClient) -> None:
    shop = token(role="integrator", sub="shop-connector", journey_sources=["shop"])
    event = cloudevent("customer.registered", "c5", {"name": "Eve", "email": "eve@example.org"}, "x1")

    assert client.post("/events", json=event, headers={**CE, **shop}).status_code == 202
    assert_problem(client.post("/events", json={**event, "source": "payments"}, headers={**CE, **shop}), 403,
                   "source-not-bound")
    bare = token(role="integrator", sub="no-sources")
    assert_problem(client.post("/events", json={**event, "id": "x2"}, headers={**CE, **bare}), 403, "source-not-bound")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the door does not depend on the store
@pytest.mark.parametrize(("header", "code"), [
    (lambda: token(exp=datetime.now(UTC) - timedelta(minutes=5)), "expired-token"),
    (lambda: token(key=rsa_key()), "invalid-token-signature"),
    (lambda: token(iss="https://elsewhere.example.org"), "wrong-issuer"),
    (lambda: token(aud="another-service"), "wrong-audience"),
    (lambda: token(role=None), "missing-role"),
    (lambda: token(role="superuser"), "unknown-role"),
    (lambda: {"Authorization": f"Bearer {unsigned(role='auditor')}"}, "invalid-token-signature"),
    (lambda: {"Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}, "invalid-token-signature"),
    (lambda: {"Authorization": "Bearer not-a-token"}, "malformed-token"),
])
def test_a_token_that_is_not_valid_is_401_saying_why(client: TestClient, header, code: str) -> None:  # noqa: ANN001
    answer = client.get("/customers", headers=header())
    problem = assert_problem(answer, 401, code)
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"] and problem["detail"]
