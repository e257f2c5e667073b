"""OAuth2 bearer tokens (JWT): verified against one configured issuer, audience and either a
JWKS endpoint or a PEM public key; the subject and the role are read from configured claims.

Only asymmetric signatures are accepted (RSA, RSA-PSS, ECDSA, EdDSA): ``none`` and the HMAC
algorithms are refused when the verifier is configured, so a token cannot choose to be
"signed" with the public key as an HMAC secret (algorithm confusion). The algorithms a token
may use are further narrowed to those that fit the verifying key's type.

The time checks (``exp``, ``nbf``, ``iat``) are made here against the ``now`` the verifier is
given, with ``leeway_seconds`` of tolerance for clock skew, after the signature has been checked.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

_RSA = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
_EC = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512", "secp256k1": "ES256K"}
#: Every algorithm a verifier may be configured with: asymmetric signatures only.
ASYMMETRIC = frozenset({*_RSA, *_EC.values(), "EdDSA"})
_YEAR_10000 = 253402300800
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_SEGMENTS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def looks_like_jwt(token: str) -> bool:
    """Whether ``token`` has a JWT's shape (three base64url segments separated by dots; the
    last may be empty, as in an unsigned token, which :meth:`TokenVerifier.verify` refuses)."""
    return _SEGMENTS.fullmatch(token) is not None


#: After a failed fetch of the issuer's keys, tokens are answered 503 this long without fetching.
UNAVAILABLE_SECONDS = 5.0


class InvalidTokenError(Exception):
    """A bearer token was refused. ``code`` names why: malformed-token, expired-token,
    invalid-token-signature, wrong-issuer, wrong-audience, missing-role, unknown-role,
    token-not-yet-valid; or token-keys-unavailable when the JWKS endpoint could not be read
    (the token may be fine: a server-side fault, not the caller's)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class TokenSettings:
    """Which tokens are trusted. Exactly one of ``jwks_url`` and ``public_key`` (a PEM) is set.

    ``role_claim`` may be a dotted path (``realm_access.roles``); when it names a list, the
    first entry that is a known role is taken."""

    issuer: str
    audience: str
    jwks_url: str | None = None
    public_key: str | None = None
    role_claim: str = "role"
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    leeway_seconds: int = 30
    subject_claim: str = "sub"
    sources_claim: str = "journey_sources"
    jwks_timeout_seconds: float = 5.0
    jwks_lifespan_seconds: float = 300.0

    def __post_init__(self) -> None:
        if (self.jwks_url is None) == (self.public_key is None):
            raise ValueError("set exactly one of jwks_url and public_key")
        if not self.issuer or not self.audience:
            raise ValueError("the issuer and the audience must not be empty")
        if not self.algorithms:
            raise ValueError("name at least one signature algorithm")
        refused = sorted(set(self.algorithms) - ASYMMETRIC)
        if refused:
            raise ValueError(f"algorithms {refused} refused: only asymmetric ones are accepted ({', '.join(sorted(ASYMMETRIC))})")
        if not 0 <= self.leeway_seconds <= 300:
            raise ValueError("leeway_seconds must be between 0 and 300")
        if not self.role_claim or not self.subject_claim:
            raise ValueError("the role and subject claims must be named")
        if self.jwks_url is not None:
            url = urlparse(self.jwks_url)
            if url.scheme != "https" and not (url.scheme == "http" and url.hostname in _LOOPBACK):
                raise ValueError("jwks_url must be https (plain http only on the loopback interface)")


@dataclass(frozen=True)
class TokenIdentity:
    """Who a verified token speaks for."""

    subject: str
    role: str
    token_id: str | None
    expires_at: datetime | None
    sources: tuple[str, ...] = ()


def _fitting(key: Any, algorithms: Iterable[str]) -> list[str]:
    """The algorithms of ``algorithms`` that can verify with ``key``; none for a secret."""
    if isinstance(key, rsa.RSAPublicKey):
        usable: set[str] = set(_RSA)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        usable = {_EC[key.curve.name]} if key.curve.name in _EC else set()
    elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        usable = {"EdDSA"}
    else:
        usable = set()
    return [a for a in algorithms if a in usable]


def _public_key(pem: str) -> Any:
    try:
        return serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as e:
        raise ValueError(f"public_key is not a PEM public key: {e}") from None


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    # PyJWT's JSON decoder takes NaN and Infinity; a time must also fit a datetime (year 1970-9999).
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < _YEAR_10000:
        raise InvalidTokenError("malformed-token", f"the {name!r} claim is not a time in seconds since 1970")
    return float(value)


def _refused(e: jwt.PyJWTError) -> InvalidTokenError:
    """Our error for one of PyJWT's refusals."""
    if isinstance(e, jwt.InvalidSignatureError | jwt.InvalidAlgorithmError | jwt.InvalidKeyError):
        return InvalidTokenError("invalid-token-signature", str(e))
    if isinstance(e, jwt.InvalidIssuerError):
        return InvalidTokenError("wrong-issuer", str(e))
    if isinstance(e, jwt.InvalidAudienceError):
        return InvalidTokenError("wrong-audience", str(e))
    if isinstance(e, jwt.ExpiredSignatureError):
        return InvalidTokenError("expired-token", str(e))
    if isinstance(e, jwt.ImmatureSignatureError):
        return InvalidTokenError("token-not-yet-valid", str(e))
    return InvalidTokenError("malformed-token", str(e))


class TokenVerifier:
    """Verifies bearer tokens of one issuer; ``known_roles`` are the role names a token may
    carry. ``now`` is the time the token's validity is judged at (real UTC time by default).

    With a JWKS endpoint the key set is fetched on first use and kept for
    ``jwks_lifespan_seconds``; a token naming an unknown ``kid`` refetches it at most once per
    30 s. Each fetch waits at most ``jwks_timeout_seconds``."""

    def __init__(
        self, settings: TokenSettings, known_roles: frozenset[str], now: Callable[[], datetime] | None = None
    ) -> None:
        self.settings = settings
        self.known_roles = known_roles
        self._now = now or (lambda: datetime.now(UTC))
        self._key: Any = None
        self._unavailable_until = 0.0
        self._client: jwt.PyJWKClient | None = None
        if settings.public_key is not None:
            self._key = _public_key(settings.public_key)
            if not _fitting(self._key, settings.algorithms):
                raise ValueError(f"none of the algorithms {list(settings.algorithms)} fits the public key's type")
        else:
            assert settings.jwks_url is not None
            self._client = jwt.PyJWKClient(
                settings.jwks_url, cache_jwk_set=True, lifespan=settings.jwks_lifespan_seconds,
                timeout=settings.jwks_timeout_seconds,
            )

    def verify(self, token: str) -> TokenIdentity:
        """The identity ``token`` speaks for, or InvalidTokenError saying why it is refused."""
        if not looks_like_jwt(token):
            raise InvalidTokenError("malformed-token", "not a JWT (three base64url segments separated by dots)")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise InvalidTokenError("malformed-token", str(e)) from None
        key, algorithms = self._verifying_key(header)
        try:
            claims = jwt.decode(
                token, key, algorithms=algorithms, audience=self.settings.audience, issuer=self.settings.issuer,
                options={
                    "require": ["exp", "iss", "aud"], "verify_exp": False, "verify_nbf": False, "verify_iat": False,
                    "verify_sub": True, "verify_jti": True,
                },
            )
        except jwt.PyJWTError as e:
            raise _refused(e) from None
        expires_at = self._check_times(claims)
        subject = _claim(claims, self.settings.subject_claim)
        if not isinstance(subject, str) or not subject:
            raise InvalidTokenError("malformed-token", f"the token has no {self.settings.subject_claim!r} claim naming its subject")
        jti = claims.get("jti")
        sources = _claim(claims, self.settings.sources_claim)
        bound = tuple(s for s in sources if isinstance(s, str)) if isinstance(sources, list) else ()
        return TokenIdentity(
            subject=subject, role=self._role(claims), token_id=jti if isinstance(jti, str) else None,
            expires_at=expires_at, sources=bound,
        )

    def _verifying_key(self, header: dict[str, Any]) -> tuple[Any, list[str]]:
        """The key to check the signature with, and the algorithms it may have been made with."""
        alg = header.get("alg")
        if not isinstance(alg, str) or not alg:
            raise InvalidTokenError("malformed-token", "the token's header names no algorithm")
        if alg not in self.settings.algorithms:
            raise InvalidTokenError("invalid-token-signature", f"the token's algorithm {alg!r} is not accepted")
        if self._client is None:
            return self._key, _fitting(self._key, self.settings.algorithms)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidTokenError("invalid-token-signature", "the token names no signing key (kid)")
        # Any failure to read the key set is the endpoint's (unreachable, slow, an HTTP error, not
        # a JSON key set): ValueError and OSError come from a body that is not JSON or breaks off.
        if time.monotonic() < self._unavailable_until:  # a fetch failed just now: do not wait for another
            raise InvalidTokenError("token-keys-unavailable", "the signing keys could not be read a moment ago")
        try:
            self._client.get_signing_keys()
        except (jwt.PyJWKClientError, jwt.PyJWKSetError, ValueError, OSError) as e:
            raise self._unavailable(e) from None
        try:
            jwk = self._client.get_signing_key(kid)  # refetches the set for an unknown kid, at most every 30 s
        except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError, ValueError, OSError) as e:
            raise self._unavailable(e) from None
        except jwt.PyJWKClientError:
            raise InvalidTokenError("invalid-token-signature", f"no signing key {kid!r} in the issuer's key set") from None
        if jwk.algorithm_name not in self.settings.algorithms:
            raise InvalidTokenError("invalid-token-signature", f"the signing key {kid!r} is for {jwk.algorithm_name}, not accepted")
        # PyJWT verifies with the key's own algorithm (declared, or inferred from its type and
        # curve) and refuses a token whose header names another.
        return jwk, [jwk.algorithm_name]

    def _unavailable(self, error: Exception) -> InvalidTokenError:
        """Remember a failed fetch for ``UNAVAILABLE_SECONDS``: callers meanwhile get 503 at once
        instead of each waiting up to the fetch timeout on an issuer that is down."""
        self._unavailable_until = time.monotonic() + UNAVAILABLE_SECONDS
        return InvalidTokenError("token-keys-unavailable", f"the signing keys could not be read: {error}")

    def _check_times(self, claims: dict[str, Any]) -> datetime:
        now = self._now().timestamp()
        leeway = self.settings.leeway_seconds
        exp = _number(claims, "exp")
        assert exp is not None  # required by decode
        if exp <= now - leeway:
            raise InvalidTokenError("expired-token", f"the token expired at {datetime.fromtimestamp(exp, UTC).isoformat()}")
        nbf = _number(claims, "nbf")
        if nbf is not None and nbf > now + leeway:
            raise InvalidTokenError("token-not-yet-valid", f"the token is valid from {datetime.fromtimestamp(nbf, UTC).isoformat()}")
        iat = _number(claims, "iat")
        if iat is not None and iat > now + leeway:
            raise InvalidTokenError("token-not-yet-valid", "the token was issued in the future (iat)")
        return datetime.fromtimestamp(exp, UTC)

    def _role(self, claims: dict[str, Any]) -> str:
        value = _claim(claims, self.settings.role_claim)
        if value is None or value in ("", []):
            raise InvalidTokenError("missing-role", f"the token has no {self.settings.role_claim!r} claim")
        candidates = value if isinstance(value, list) else [value]
        for candidate in candidates:
            if isinstance(candidate, str) and candidate in self.known_roles:
                return candidate
        raise InvalidTokenError("unknown-role", f"no known role in the {self.settings.role_claim!r} claim")
