"""API keys for tests: a test names the role it acts as, the client presents that role's key.

The server never reads ``X-Department`` or ``X-User``: who acts comes from the credential alone.
Tests still write those headers because they say who acts in the story; ``KeyedClient`` turns
them into the ``Authorization`` of a real key of that role and name (created through the real
key store, stored only as a hash). A request without them acts as the integrator for
``POST /events`` and as the auditor (who reads everything) otherwise. A request that carries its
own ``Authorization`` header is sent as it is.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from domain.access import Role
from services.credentials import Credentials

ROOT = Path(__file__).resolve().parents[2]
#: The CloudEvent sources the tests publish for: the integrator key is bound to them.
SOURCES = ("shop", "payments", "till", "https://till", "crm", "kafka", "dunning-run", "bench://warm-up")
ROLE_HEADER = "x-department"
USER_HEADER = "x-user"


class KeyRing:
    """One real API key per (role, name), created on first use."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self._keys: dict[tuple[str, str | None], str] = {}

    def key(self, role: str, name: str | None = None) -> str:
        if (role, name) not in self._keys:
            sources = SOURCES if role == Role.INTEGRATOR else ()
            self._keys[(role, name)] = self.credentials.create(Role(role), name, sources)[0]
        return self._keys[(role, name)]

    def headers(self, role: str, name: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key(role, name)}"}


def acting_role(method: str, url: str, headers: Mapping[str, str]) -> tuple[str, str | None]:
    """The role and name a test request acts as (see the module's docstring)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if ROLE_HEADER in lowered:
        return lowered[ROLE_HEADER].strip().lower(), lowered.get(USER_HEADER)
    path = httpx.URL(str(url)).path
    return ("integrator" if method.upper() == "POST" and path == "/events" else "auditor"), None


class KeyedClient(TestClient):
    """A TestClient presenting the key of the role each request acts as."""

    keyring: KeyRing

    def request(self, method: str, url: Any, *args: Any, headers: Any = None, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        given = dict(headers or {})
        if not any(k.lower() == "authorization" for k in given):
            role, name = acting_role(method, url, given)
            if role in {r.value for r in Role}:
                given.update(self.keyring.headers(role, name))
        return super().request(method, url, *args, headers=given, **kwargs)


def keyed(app: Any, credentials: Credentials) -> KeyedClient:
    client = KeyedClient(app)
    client.keyring = KeyRing(credentials)
    return client


def create_key_cli(env: Mapping[str, str], role: str, *args: str) -> str:
    """A key made with the real ``journey keys create`` command (its last line)."""
    sources = [a for s in SOURCES for a in ("--source", s)] if role == "integrator" and not args else []
    done = subprocess.run(  # noqa: S603 -- our own CLI
        [sys.executable, "-m", "services.cli", "keys", "create", "--role", role, *sources, *args],
        cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=60, check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def keys_for(database_url: str, *roles: str) -> dict[str, dict[str, str]]:
    """The Authorization headers of one new key per role on the store at ``database_url`` (for
    tests of real ``journey serve`` processes)."""
    from services.bootstrap import bootstrap  # noqa: PLC0415 -- only the process tests need a journey here
    from services.settings import Settings  # noqa: PLC0415

    journey = bootstrap(Settings(database_url=database_url))
    try:
        ring = KeyRing(journey.credentials)
        return {role: ring.headers(role) for role in roles}
    finally:
        journey.close()
