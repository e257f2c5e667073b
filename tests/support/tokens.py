"""Signing keys and bearer tokens for tests: real keys made with ``cryptography``, tokens signed
with PyJWT, and hand-made tokens for what PyJWT will not sign (``alg=none``, an HMAC over a PEM)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://idp.example.org/realms/journey"
AUDIENCE = "customer-journey"
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
ROLES = frozenset({"integrator", "billing", "support", "sales", "marketing", "auditor", "admin"})


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def private_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def claims(**overrides: Any) -> dict[str, Any]:
    """A valid claim set at NOW (for an hour), with ``overrides`` applied; None drops a claim."""
    base: dict[str, Any] = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": "ann@billing", "role": "billing", "jti": "t-1",
        "iat": NOW, "exp": NOW + timedelta(hours=1),
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: Any, algorithm: str = "RS256", kid: str | None = None, **overrides: Any) -> str:
    """A token over ``claims(**overrides)`` signed with ``key``."""
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims(**overrides), key, algorithm=algorithm, headers=headers)


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json_segment(value: dict[str, Any]) -> str:
    return _segment(json.dumps(value, default=lambda t: int(t.timestamp())).encode())


def unsigned(**overrides: Any) -> str:
    """An ``alg=none`` token: the header, the claims and an empty signature."""
    return f"{_json_segment({'alg': 'none', 'typ': 'JWT'})}.{_json_segment(claims(**overrides))}."


def hmac_signed(secret: str, kid: str | None = None, **overrides: Any) -> str:
    """An HS256 token whose secret is ``secret`` (e.g. the verifier's public PEM)."""
    header = {"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid else {})}
    signing_input = f"{_json_segment(header)}.{_json_segment(claims(**overrides))}"
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_segment(mac)}"


def with_claims(token: str, **overrides: Any) -> str:
    """``token`` with its claims replaced by ``claims(**overrides)``, its signature kept."""
    header, _, signature = token.split(".")
    return f"{header}.{_json_segment(claims(**overrides))}.{signature}"


def jwk(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, kid: str, alg: str) -> dict[str, Any]:
    """The public JWK of ``key`` as a JWKS document lists it."""
    algorithm = RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else ECAlgorithm
    return {**algorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "alg": alg, "use": "sig"}
