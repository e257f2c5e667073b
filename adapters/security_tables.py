"""The credentials and the access log: two tables beside the events, outside the journey stream.

- ``journey_api_keys``: one row per API key: its id, name, role, bound CloudEvent sources, the
  SHA-256 of its secret (never the secret), when it was created and revoked.
- ``journey_accesses``: append-only: who read which customer's data (name, role and the
  credential: ``key:<id>`` or ``token:<subject>``), through which view, when.
  The database refuses UPDATE and DELETE on it (a trigger), so a caller cannot rewrite it.

Both live in the event store's database (the SQLite file or the PostgreSQL schema) and are
reached through the event store's datastore, so a process opens no further connections.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

KEYS_TABLE = "journey_api_keys"
ACCESSES_TABLE = "journey_accesses"


@dataclass(frozen=True)
class ApiKeyRow:
    """An API key as stored: everything but the secret."""

    key_id: str
    name: str
    role: str
    sources: tuple[str, ...]
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class Access:
    """One read of a customer's data."""

    at: datetime
    principal: str
    role: str
    credential: str
    customer_id: str
    view: str
    seq: int = 0


class SecurityTables:
    """The SQL both databases share, on an eventsourcing datastore (``transaction(commit=...)``
    yielding a cursor whose rows are read by column name)."""

    mark = "?"

    def __init__(self, datastore: Any, keys: str = KEYS_TABLE, accesses: str = ACCESSES_TABLE) -> None:
        self.datastore = datastore
        self.keys = keys
        self.accesses = accesses

    def create_tables(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            for statement in self._create_statements():
                c.execute(statement)

    def _create_statements(self) -> list[str]:
        raise NotImplementedError

    # keys

    def add_key(self, key: ApiKeyRow) -> None:
        m = self.mark
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO {self.keys} (key_id, name, role, sources, secret_hash, created_at, revoked_at) "
                f"VALUES ({m}, {m}, {m}, {m}, {m}, {m}, NULL)",
                (key.key_id, key.name, key.role, json.dumps(list(key.sources)), key.secret_hash,
                 key.created_at.isoformat()),
            )

    def key(self, key_id: str) -> ApiKeyRow | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.keys} WHERE key_id = {self.mark}", (key_id,))
            row = c.fetchone()
        return None if row is None else _key(row)

    def all_keys(self) -> list[ApiKeyRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.keys} ORDER BY created_at, key_id")
            return [_key(row) for row in c.fetchall()]

    def revoke_key(self, key_id: str, at: datetime) -> bool:
        """Revoke ``key_id``; False when there is no such key. Revoking twice keeps the first time."""
        m = self.mark
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"SELECT key_id FROM {self.keys} WHERE key_id = {m}", (key_id,))
            if c.fetchone() is None:
                return False
            c.execute(
                f"UPDATE {self.keys} SET revoked_at = COALESCE(revoked_at, {m}) WHERE key_id = {m}",
                (at.isoformat(), key_id),
            )
            return True

    # accesses

    def record_accesses(self, accesses: Sequence[Access]) -> None:
        """Append ``accesses`` in one transaction."""
        if not accesses:
            return
        m = self.mark
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"INSERT INTO {self.accesses} (at, principal, role, credential, customer_id, view) "
                f"VALUES ({m}, {m}, {m}, {m}, {m}, {m})",
                [(a.at.isoformat(), a.principal, a.role, a.credential, a.customer_id, a.view) for a in accesses],
            )

    def accesses_of(self, customer_id: str, *, after: int = 0, limit: int = 100) -> list[Access]:
        """The reads of ``customer_id``'s data after ``after`` (a seq), oldest first."""
        m = self.mark
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT * FROM {self.accesses} WHERE customer_id = {m} AND seq > {m} ORDER BY seq LIMIT {m}",
                (customer_id, after, limit),
            )
            return [_access(row) for row in c.fetchall()]


def _key(row: Any) -> ApiKeyRow:
    revoked = row["revoked_at"]
    return ApiKeyRow(
        key_id=row["key_id"], name=row["name"], role=row["role"], sources=tuple(json.loads(row["sources"])),
        secret_hash=row["secret_hash"], created_at=_time(row["created_at"]),
        revoked_at=None if revoked is None else _time(revoked),
    )


def _access(row: Any) -> Access:
    return Access(
        at=_time(row["at"]), principal=row["principal"], role=row["role"], credential=row["credential"],
        customer_id=row["customer_id"],
        view=row["view"], seq=int(row["seq"]),
    )


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class SQLiteSecurityTables(SecurityTables):
    """In the event store's SQLite file."""

    def _create_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.keys} (key_id TEXT PRIMARY KEY, name TEXT NOT NULL, "
            "role TEXT NOT NULL, sources TEXT NOT NULL, secret_hash TEXT NOT NULL, created_at TEXT NOT NULL, "
            "revoked_at TEXT)",
            f"CREATE TABLE IF NOT EXISTS {self.accesses} (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, "
            "principal TEXT NOT NULL, role TEXT NOT NULL, credential TEXT NOT NULL, customer_id TEXT NOT NULL, "
            "view TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {self.accesses}_customer ON {self.accesses} (customer_id, seq)",
            *(
                f"CREATE TRIGGER IF NOT EXISTS {self.accesses}_no_{verb.lower()} BEFORE {verb} ON {self.accesses} "
                "BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END"
                for verb in ("UPDATE", "DELETE")
            ),
        ]


class PostgresSecurityTables(SecurityTables):
    """In the event store's PostgreSQL schema."""

    mark = "%s"

    def __init__(self, datastore: Any) -> None:
        schema = f'"{datastore.schema}"'
        super().__init__(datastore, f"{schema}.{KEYS_TABLE}", f"{schema}.{ACCESSES_TABLE}")
        self._schema = schema

    def _create_statements(self) -> list[str]:
        guard = f"{self._schema}.journey_accesses_append_only"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.keys} (key_id text PRIMARY KEY, name text NOT NULL, "
            "role text NOT NULL, sources text NOT NULL, secret_hash text NOT NULL, "
            "created_at timestamptz NOT NULL, revoked_at timestamptz)",
            f"CREATE TABLE IF NOT EXISTS {self.accesses} (seq bigserial PRIMARY KEY, at timestamptz NOT NULL, "
            "principal text NOT NULL, role text NOT NULL, credential text NOT NULL, customer_id text NOT NULL, "
            "view text NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS journey_accesses_customer ON {self.accesses} (customer_id, seq)",
            f"CREATE OR REPLACE FUNCTION {guard}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the access log is append-only'; END $$",
            f"CREATE OR REPLACE TRIGGER journey_accesses_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {self.accesses} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {guard}()",
        ]


def security_tables(datastore: Any, is_postgres: bool) -> SecurityTables:
    """The tables on the event store's ``datastore``."""
    return PostgresSecurityTables(datastore) if is_postgres else SQLiteSecurityTables(datastore)


def as_rows(accesses: Iterable[Access]) -> list[dict[str, Any]]:
    """Accesses as JSON-ready rows."""
    return [
        {"seq": a.seq, "at": a.at.isoformat(), "principal": a.principal, "role": a.role, "credential": a.credential,
         "customer_id": a.customer_id, "view": a.view}
        for a in accesses
    ]
