"""Who is calling: API keys (created, listed, revoked here) and OAuth2 bearer tokens (JWT).

An API key reads ``jk_<key id>_<secret>``. The secret is 32 random bytes; only its SHA-256 is
stored (a fast hash suffices for a random 256-bit secret: nothing to guess, unlike a password),
and it is compared in constant time. The key id finds the row; the row is cached for
``cache_seconds`` so that a busy caller costs no query per request, which is also the longest a
revoked key keeps working in a process that used it just before.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from adapters.jwt_tokens import InvalidTokenError, TokenSettings, TokenVerifier
from adapters.schemas import ID_PATTERN
from adapters.security_tables import ApiKeyRow, SecurityTables
from domain.access import DEPARTMENTS, Role
from domain.values import Principal
from services.clock import Clock

KEY_PREFIX = "jk"
#: Most key lookups (known and unknown ids) a process remembers.
MAX_CACHED = 10_000
_KEY = re.compile(r"jk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
#: Names and sources: the identifier rule of events (no control characters), 1 to 200 long.
_NAME = re.compile(ID_PATTERN.removeprefix("^").removesuffix("$"))


class CredentialError(Exception):
    """The credential is absent, malformed, unknown, revoked or not valid: 401 (503 when the
    token keys cannot be fetched)."""

    def __init__(self, code: str, detail: str, status: int = 401) -> None:
        self.code, self.detail, self.status = code, detail, status
        super().__init__(detail)


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: its role, its name (the key's name or the token's subject), the
    credential it used, and the CloudEvent sources it may publish for."""

    role: Role
    name: str
    credential: str
    sources: frozenset[str] = frozenset()

    @property
    def principal(self) -> Principal:
        """The actor recorded on the events this caller causes (the admin causes none: no route
        that records an event grants it a permission)."""
        department = DEPARTMENTS.get(self.role)
        if department is None:
            raise ValueError(f"role {self.role} records no events")
        return Principal(department, user=self.name)

    @property
    def label(self) -> str:
        """``role:name``, as shown in problems and logs."""
        return f"{self.role}:{self.name}"


class TokenVerifying(Protocol):
    """Verifies a bearer token (a JWT) and names its subject, role and sources."""

    def caller(self, token: str) -> Caller: ...


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def is_name(value: str) -> bool:
    """Whether ``value`` may name a key, a token's subject or a source: 1 to 200 characters, none
    a control character (the identifier rule of events)."""
    return len(value) <= 200 and _NAME.fullmatch(value) is not None


def check_name(value: str, what: str) -> str:
    """``value`` when :func:`is_name`, else ValueError naming ``what``."""
    if not is_name(value):
        raise ValueError(f"{what} {value!r}: use 1-200 characters, none a control character")
    return value


class Credentials:
    """API keys on the security tables, and bearer tokens through ``tokens`` when configured."""

    def __init__(
        self, tables: SecurityTables, clock: Clock, tokens: TokenVerifying | None = None, cache_seconds: float = 5.0
    ) -> None:
        self.tables = tables
        self.clock = clock
        self.tokens = tokens
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, ApiKeyRow | None]] = {}
        self._lock = threading.Lock()

    def create(self, role: Role, name: str | None = None, sources: Iterable[str] = ()) -> tuple[str, ApiKeyRow]:
        """A new key for ``role``: the key itself (shown once, never stored) and its stored row."""
        role = Role(role)
        bound = tuple(sorted({check_name(s, "source") for s in sources}))
        if bound and role is not Role.INTEGRATOR:
            raise ValueError("only integrator keys are bound to CloudEvent sources")
        if role is Role.INTEGRATOR and not bound:
            raise ValueError("an integrator key needs at least one --source it may publish for")
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        stored = ApiKeyRow(
            key_id=key_id, name=check_name(name or f"{role}-{key_id[:6]}", "name"), role=role.value,
            sources=bound, secret_hash=_digest(secret), created_at=self.clock.now(), revoked_at=None,
        )
        self.tables.add_key(stored)
        return f"{KEY_PREFIX}_{key_id}_{secret}", stored

    def keys(self) -> list[ApiKeyRow]:
        """Every key, active or revoked, oldest first."""
        return self.tables.all_keys()

    def revoke(self, key_id: str) -> bool:
        """Revoke ``key_id``; False when unknown. Every process stops accepting it within the
        cache time."""
        done = self.tables.revoke_key(key_id, self.clock.now())
        with self._lock:
            self._cache.pop(key_id, None)
        return done

    def cached(self, authorization: str | None) -> Caller | None:
        """The caller, when the answer needs no database: a key seen within the cache time.
        None means: call :meth:`authenticate` (in a thread, it may query)."""
        scheme, _, value = (authorization or "").partition(" ")
        match = _KEY.fullmatch(value.strip())
        if scheme.lower() != "bearer" or match is None:
            return None
        with self._lock:
            entry = self._cache.get(match.group(1))
        if entry is None or time.monotonic() - entry[0] > self.cache_seconds:
            return None
        return self._check_key(entry[1], match.group(2))

    def authenticate(self, authorization: str | None) -> Caller:
        """The caller presenting ``authorization`` (an ``Authorization`` header's value), or
        CredentialError."""
        if not authorization:
            raise CredentialError("missing-credentials", "send Authorization: Bearer <API key or token>")
        scheme, _, value = authorization.partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value:
            raise CredentialError("malformed-credentials", "the Authorization header must read: Bearer <API key or token>")
        match = _KEY.fullmatch(value)
        if match is not None:
            return self._check_key(self._stored(match.group(1)), match.group(2))
        if self.tokens is None:
            raise CredentialError("malformed-credentials", "not an API key of this service (bearer tokens are not configured)")
        return self.tokens.caller(value)

    def _stored(self, key_id: str) -> ApiKeyRow | None:
        with self._lock:
            entry = self._cache.get(key_id)
        if entry is not None and time.monotonic() - entry[0] <= self.cache_seconds:
            return entry[1]
        stored = self.tables.key(key_id)
        with self._lock:
            self._cache.pop(key_id, None)
            self._cache[key_id] = (time.monotonic(), stored)
            while len(self._cache) > MAX_CACHED:  # unknown ids are cached too: the oldest go first
                self._cache.pop(next(iter(self._cache)))
        return stored

    @staticmethod
    def _check_key(stored: ApiKeyRow | None, secret: str) -> Caller:
        expected = stored.secret_hash if stored is not None else _digest("")
        matches = hmac.compare_digest(_digest(secret), expected)
        if stored is None or not matches:
            raise CredentialError("invalid-credentials", "the API key is not valid")
        if not stored.active:
            raise CredentialError("revoked-key", f"API key {stored.key_id} was revoked")
        return Caller(Role(stored.role), stored.name, f"key:{stored.key_id}", frozenset(stored.sources))


class BearerTokens:
    """OAuth2 access tokens (JWT) of the configured issuer, as callers."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self.verifier = verifier

    def caller(self, token: str) -> Caller:
        try:
            identity = self.verifier.verify(token)
        except InvalidTokenError as error:
            status = 503 if error.code == "token-keys-unavailable" else 401
            raise CredentialError(error.code, error.detail, status) from None
        if not is_name(identity.subject):
            raise CredentialError("malformed-token", "the token's subject is not a name this service records")
        role = Role(identity.role)
        return Caller(role, identity.subject, f"token:{identity.subject}",
                      frozenset(identity.sources) if role is Role.INTEGRATOR else frozenset())


def bearer_tokens(
    issuer: str, audience: str, jwks_url: str | None, public_key: str | None, role_claim: str, sources_claim: str,
    algorithms: Iterable[str],
) -> BearerTokens:
    """The token verifier for one issuer; the roles a token may carry are this service's roles."""
    settings = TokenSettings(
        issuer=issuer, audience=audience, jwks_url=jwks_url, public_key=public_key, role_claim=role_claim,
        sources_claim=sources_claim, algorithms=tuple(a.strip() for a in algorithms if a.strip()),
    )
    return BearerTokens(TokenVerifier(settings, frozenset(r.value for r in Role)))


def key_row(stored: ApiKeyRow) -> dict[str, Any]:
    """A stored key as shown to people and to the admin API: never the secret nor its hash."""
    return {
        "key_id": stored.key_id, "name": stored.name, "role": stored.role, "sources": list(stored.sources),
        "created_at": stored.created_at.isoformat(),
        "revoked_at": None if stored.revoked_at is None else stored.revoked_at.isoformat(),
    }
