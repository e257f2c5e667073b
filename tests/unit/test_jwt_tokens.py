"""Bearer tokens verified against a configured PEM public key: what is accepted, and each way a
token is refused with its own code. (The JWKS endpoint: tests/integration/test_jwks_tokens.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.jwt_tokens import InvalidTokenError, TokenIdentity, TokenSettings, TokenVerifier, looks_like_jwt
from tests.support import tokens as t


@pytest.fixture(scope="module")
def key() -> Any:
    return t.rsa_key()


@pytest.fixture(scope="module")
def other_key() -> Any:
    return t.rsa_key()


@pytest.fixture(scope="module")
def ec_verifier() -> TokenVerifier:
    return verifier(t.public_pem(t.ec_key()), algorithms=("ES256",))


def verifier(public_pem: str, at: datetime = t.NOW, **settings: Any) -> TokenVerifier:
    return TokenVerifier(
        TokenSettings(issuer=t.ISSUER, audience=t.AUDIENCE, public_key=public_pem, **settings), t.ROLES, now=lambda: at
    )


def refusal(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(InvalidTokenError) as refused:
        verifier.verify(token)
    assert refused.value.detail
    return refused.value.code


def test_a_valid_token_names_its_subject_role_id_and_expiry(key: Any) -> None:
    identity = verifier(t.public_pem(key)).verify(t.sign(key))

    assert identity == TokenIdentity(subject="ann@billing", role="billing", token_id="t-1", expires_at=t.NOW + timedelta(hours=1))  # noqa: S106


def test_an_ec_signed_token_is_accepted_with_an_ec_public_key() -> None:
    key = t.ec_key()

    identity = verifier(t.public_pem(key)).verify(t.sign(key, "ES256", role="auditor", jti=None))

    assert (identity.role, identity.token_id) == ("auditor", None)


def test_an_expired_token_is_refused_once_past_the_leeway(key: Any) -> None:
    token = t.sign(key, exp=t.NOW - timedelta(seconds=10))

    assert verifier(t.public_pem(key)).verify(token).subject == "ann@billing"  # within 30 s of skew
    assert refusal(verifier(t.public_pem(key), at=t.NOW + timedelta(seconds=21)), token) == "expired-token"
    assert refusal(verifier(t.public_pem(key), leeway_seconds=0), token) == "expired-token"


def test_a_token_before_its_not_before_time_is_refused(key: Any) -> None:
    token = t.sign(key, nbf=t.NOW + timedelta(minutes=5))

    assert refusal(verifier(t.public_pem(key)), token) == "token-not-yet-valid"
    assert verifier(t.public_pem(key), at=t.NOW + timedelta(minutes=5)).verify(token).role == "billing"


def test_a_token_issued_in_the_future_is_refused(key: Any) -> None:
    assert refusal(verifier(t.public_pem(key)), t.sign(key, iat=t.NOW + timedelta(minutes=5))) == "token-not-yet-valid"


def test_a_token_of_another_issuer_is_refused(key: Any) -> None:
    assert refusal(verifier(t.public_pem(key)), t.sign(key, iss="https://evil.example.org")) == "wrong-issuer"


def test_an_issuer_containing_the_configured_one_is_refused(key: Any) -> None:
    assert refusal(verifier(t.public_pem(key)), t.sign(key, iss=t.ISSUER + "-evil")) == "wrong-issuer"


def test_a_token_for_another_audience_is_refused(key: Any) -> None:
    assert refusal(verifier(t.public_pem(key)), t.sign(key, aud="another-api")) == "wrong-audience"


def test_a_token_for_several_audiences_including_ours_is_accepted(key: Any) -> None:
    assert verifier(t.public_pem(key)).verify(t.sign(key, aud=["account", t.AUDIENCE])).role == "billing"


@pytest.mark.parametrize("claim", ["exp", "iss", "aud", "sub"])
def test_a_token_without_a_required_claim_is_refused(key: Any, claim: str) -> None:
    assert refusal(verifier(t.public_pem(key)), t.sign(key, **{claim: None})) == "malformed-token"


def test_a_token_signed_by_another_key_is_refused(key: Any, other_key: Any) -> None:
    assert refusal(verifier(t.public_pem(key)), t.sign(other_key)) == "invalid-token-signature"


def test_a_token_whose_claims_were_changed_after_signing_is_refused(key: Any) -> None:
    tampered = t.with_claims(t.sign(key), role="admin")

    assert refusal(verifier(t.public_pem(key)), tampered) == "invalid-token-signature"


def test_an_unsigned_token_is_refused(key: Any) -> None:
    assert looks_like_jwt(t.unsigned())
    assert refusal(verifier(t.public_pem(key)), t.unsigned()) == "invalid-token-signature"


def test_an_hmac_token_keyed_with_the_public_key_is_refused(key: Any) -> None:
    """Algorithm confusion: the public PEM is known to everyone, so an HS256 token made with it
    as the secret must never verify."""
    pem = t.public_pem(key)

    assert refusal(verifier(pem), t.hmac_signed(pem, role="admin")) == "invalid-token-signature"


def test_a_token_of_an_algorithm_that_does_not_fit_the_key_is_refused(key: Any) -> None:
    assert refusal(verifier(t.public_pem(key)), t.sign(t.ec_key(), "ES256")) == "invalid-token-signature"


def test_a_token_without_the_role_claim_is_refused(key: Any) -> None:
    assert refusal(verifier(t.public_pem(key)), t.sign(key, role=None)) == "missing-role"
    assert refusal(verifier(t.public_pem(key)), t.sign(key, role=[])) == "missing-role"


def test_a_token_with_a_role_we_do_not_know_is_refused(key: Any) -> None:
    assert refusal(verifier(t.public_pem(key)), t.sign(key, role="superuser")) == "unknown-role"
    assert refusal(verifier(t.public_pem(key)), t.sign(key, role=["offline_access"])) == "unknown-role"


def test_the_role_is_the_first_known_entry_of_a_nested_list_claim(key: Any) -> None:
    token = t.sign(key, role=None, realm_access={"roles": ["offline_access", "support", "sales"]})

    assert verifier(t.public_pem(key), role_claim="realm_access.roles").verify(token).role == "support"
    assert refusal(verifier(t.public_pem(key), role_claim="resource_access.journey.roles"), token) == "missing-role"


def test_the_subject_may_come_from_another_claim(key: Any) -> None:
    token = t.sign(key, sub=None, preferred_username="ann")

    assert verifier(t.public_pem(key), subject_claim="preferred_username").verify(token).subject == "ann"
    assert refusal(verifier(t.public_pem(key), subject_claim="azp"), token) == "malformed-token"


@pytest.mark.parametrize(
    "token",
    ["", "not-a-token", "a.b", "a.b.c.d", "a b.c.d", "a.b.c", "!!!.###.$$$", "e30.e30.e30", "jrn_0123_secret"],
)
def test_strings_that_are_no_jwt_are_malformed(key: Any, token: str) -> None:
    assert refusal(verifier(t.public_pem(key)), token) == "malformed-token"


def test_a_token_without_a_signature_is_refused(key: Any) -> None:
    assert refusal(verifier(t.public_pem(key)), "eyJhbGciOiJSUzI1NiJ9.e30.") == "invalid-token-signature"


def test_an_api_key_does_not_look_like_a_jwt_but_a_token_does(key: Any) -> None:
    assert looks_like_jwt(t.sign(key))
    assert not looks_like_jwt("jrn_0a1b2c3d4e5f6a7b_Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg")
    assert not looks_like_jwt("a.b")
    assert not looks_like_jwt("a.b.c.d")
    assert not looks_like_jwt("a.b+/.c")


@pytest.mark.parametrize("exp", ["tomorrow", True, float("nan"), float("inf"), 1e300, -1])
def test_an_expiry_that_is_no_time_is_malformed(key: Any, exp: Any) -> None:
    assert refusal(verifier(t.public_pem(key)), t.sign(key, exp=exp)) == "malformed-token"


def test_a_claim_of_the_wrong_type_is_malformed(key: Any) -> None:
    assert refusal(verifier(t.public_pem(key)), t.sign(key, nbf="soon")) == "malformed-token"
    assert refusal(verifier(t.public_pem(key)), t.sign(key, sub=42)) == "malformed-token"


_SEGMENT = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=60)


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(
    st.one_of(
        st.text(max_size=80),
        st.builds(lambda a, b, c: f"{a}.{b}.{c}", _SEGMENT, _SEGMENT, _SEGMENT),
        st.builds(lambda a, b: f"eyJhbGciOiJSUzI1NiJ9.{a}.{b}", _SEGMENT, _SEGMENT),
    )
)
def test_no_string_fails_otherwise_than_with_a_refusal(ec_verifier: TokenVerifier, token: str) -> None:
    try:
        ec_verifier.verify(token)
    except InvalidTokenError as refused:
        assert refused.code in {"malformed-token", "invalid-token-signature"}
    else:
        raise AssertionError(f"accepted {token!r}")


# Configuration: what a verifier refuses to be set up with.


def test_exactly_one_key_source_must_be_configured(key: Any) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        TokenSettings(issuer=t.ISSUER, audience=t.AUDIENCE)
    with pytest.raises(ValueError, match="exactly one"):
        TokenSettings(issuer=t.ISSUER, audience=t.AUDIENCE, public_key=t.public_pem(key), jwks_url="https://idp.example.org/certs")


@pytest.mark.parametrize("algorithms", [("none",), ("HS256",), ("RS256", "HS512"), ()])
def test_unsigned_and_hmac_algorithms_are_refused_in_the_configuration(key: Any, algorithms: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        TokenSettings(issuer=t.ISSUER, audience=t.AUDIENCE, public_key=t.public_pem(key), algorithms=algorithms)


def test_a_public_key_must_be_a_public_key_that_fits_an_algorithm(key: Any) -> None:
    with pytest.raises(ValueError, match="not a PEM public key"):
        verifier(t.private_pem(key))
    with pytest.raises(ValueError, match="not a PEM public key"):
        verifier("a shared secret")
    with pytest.raises(ValueError, match="fits"):
        verifier(t.public_pem(key), algorithms=("ES256",))


def test_a_jwks_url_must_be_https_except_on_the_loopback_interface() -> None:
    with pytest.raises(ValueError, match="https"):
        TokenSettings(issuer=t.ISSUER, audience=t.AUDIENCE, jwks_url="http://idp.example.org/certs")
    assert TokenSettings(issuer=t.ISSUER, audience=t.AUDIENCE, jwks_url="http://127.0.0.1:8080/certs").jwks_url


def test_expiry_is_reported_in_utc(key: Any) -> None:
    identity = verifier(t.public_pem(key)).verify(t.sign(key))

    assert identity.expires_at is not None and identity.expires_at.tzinfo == UTC
