"""The event store's recorders, extended with what a write needs besides its events.

Two side tables live next to the events table and are written in the same transaction as the
events (through the recorder's ``_insert_events`` hook, the one the library's process recorder
uses for its tracking records):

- ``journey_keys``: idempotency keys (a CloudEvent's ``(source, id)``, a command's
  ``Idempotency-Key`` or a key of its own) with the digest of the content and the last event the
  write recorded, so a retry learns its original position and result without any bookkeeping
  event in the stream;
- ``journey_links``: which invoices and complaints belong to an order, so a decision (a dunning
  step, a credit note) finds them without the order recording them as events;
- ``journey_chain``: the hash chain over the stored events (adapters/hash_chain.py), extended
  once the insert has returned the positions (SQLite: ``_insert_events`` after the library's
  insert; PostgreSQL: ``_fetch_ids_after_insert_events``, the library's hook that reads the
  ``RETURNING`` ids, still under the table lock and in the transaction).

A write may also carry an append condition, ``expected_head``: in the append's transaction the
newest position must still be the one the write decided against, otherwise ``HeadMovedError``
and nothing is stored. On PostgreSQL it is checked under the events table's lock (the lock that
keeps notification ids in commit order); on SQLite at the start of the write transaction, and a
write by another process in between makes the insert fail (the database is locked or the
snapshot is stale), which is retried the same way. That makes every decision serialisable
across processes without a token in the stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL

from adapters.hash_chain import ChainTable, postgres_chain_tables, sqlite_chain_tables

KEYS = "journey_keys"
LINKS = "journey_links"


class HeadMovedError(IntegrityError):
    """Another writer appended after the position a write decided against; nothing is stored."""


@dataclass(frozen=True)
class KeyRecord:
    """An idempotency key as stored with the write it admitted: ``scope`` (``cloudevent:<source>``,
    ``command:<department>:<user>`` or ``request``), the key, the content digest, the last event
    of the write and its result."""

    scope: str
    key: str
    digest: str
    originator_id: UUID
    originator_version: int
    result: str = "{}"


@dataclass(frozen=True)
class Link:
    """``member`` (an invoice or complaint id) belongs to ``owner`` (an order id) by ``relation``."""

    relation: str
    owner: str
    member: str


@dataclass(frozen=True)
class StoredKey:
    """A stored idempotency key, read back with the position of the write's last event."""

    digest: str
    result: str
    position: int


class _SideTables:
    """The SQL shared by both databases; subclasses give placeholders and table names."""

    mark = "?"
    keys_table = KEYS
    links_table = LINKS
    position_column = "rowid"
    datastore: Any
    events_table_name: str

    def _as_key(self, originator_id: UUID) -> Any:
        return originator_id.hex

    def _events_table(self) -> str:
        return self.events_table_name

    def _write_side_tables(self, curs: Any, expected_head: int | None, keys: Sequence[KeyRecord],
                           links: Sequence[Link]) -> None:
        if expected_head is not None:
            self._lock_events(curs)
            curs.execute(f"SELECT MAX({self.position_column}) AS head FROM {self._events_table()}")  # noqa: S608
            row = curs.fetchone()
            head = (row["head"] if row is not None else None) or 0
            if head != expected_head:
                raise HeadMovedError(f"the stream moved from {expected_head} to {head}")
        if keys:
            self._insert_rows(curs, self.keys_table, "", [
                (k.scope, k.key, k.digest, self._as_key(k.originator_id), k.originator_version, k.result)
                for k in keys
            ])
        if links:
            self._insert_rows(
                curs, self.links_table, " ON CONFLICT DO NOTHING",
                [(ln.relation, ln.owner, ln.member) for ln in links],
            )

    def _insert_rows(self, curs: Any, table: str, suffix: str, rows: list[tuple[Any, ...]]) -> None:
        curs.executemany(f"INSERT INTO {table} VALUES ({', '.join([self.mark] * len(rows[0]))}){suffix}", rows)

    def _lock_events(self, curs: Any) -> None:
        """Hold the lock that serialises appends (SQLite: the database write lock)."""

    def stored_keys(self, scope: str, keys: Iterable[str]) -> dict[str, StoredKey]:
        """The stored idempotency keys among ``keys`` of ``scope``: one query per 900 keys."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, StoredKey] = {}
        with self.datastore.transaction(commit=False) as curs:
            for chunk, marks in self._chunks(wanted):
                curs.execute(
                    f"SELECT k.key AS key, k.digest AS digest, k.result AS result, "  # noqa: S608
                    f"e.{self.position_column} AS position FROM {self.keys_table} k "
                    f"JOIN {self._events_table()} e ON e.originator_id = k.originator_id "
                    "AND e.originator_version = k.originator_version "
                    f"WHERE k.scope = {self.mark} AND k.key {marks}",
                    [scope, *chunk],
                )
                for row in curs.fetchall():
                    found[row["key"]] = StoredKey(row["digest"], row["result"], row["position"])
        return found

    def _chunks(self, values: list[Any]) -> Iterator[tuple[list[Any], str]]:
        """``values`` in chunks SQLite can bind, each with its ``IN (?, ...)`` clause."""
        for start in range(0, len(values), 900):
            chunk = values[start : start + 900]
            yield chunk, f"IN ({', '.join([self.mark] * len(chunk))})"

    def members(self, relation: str, owner: str) -> list[str]:
        """The members linked to ``owner`` by ``relation``, sorted by id."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                f"SELECT member FROM {self.links_table} WHERE relation = {self.mark} "  # noqa: S608
                f"AND owner = {self.mark} ORDER BY member",
                (relation, owner),
            )
            return [row["member"] for row in curs.fetchall()]

    def add_links(self, links: Sequence[Link]) -> None:
        """Record ``links`` outside a write (a back-fill); those already there stay."""
        if links:
            with self.datastore.transaction(commit=True) as curs:
                self._insert_rows(
                    curs, self.links_table, " ON CONFLICT DO NOTHING", [(ln.relation, ln.owner, ln.member) for ln in links]
                )

    def stored_ids(self, ids: Iterable[UUID]) -> set[UUID]:
        """Which of ``ids`` have any stored event: one query for a whole batch, where loading
        each aggregate to find it absent costs a query (and a replay) each."""
        keys = [self._as_key(i) for i in ids]
        found: set[UUID] = set()
        with self.datastore.transaction(commit=False) as curs:
            for chunk, marks in self._chunks(keys):
                curs.execute(
                    f"SELECT DISTINCT originator_id FROM {self._events_table()} "  # noqa: S608
                    f"WHERE originator_id {marks}",
                    chunk,
                )
                found |= {UUID(str(row["originator_id"])) for row in curs.fetchall()}
        return found


class SQLiteJourneyRecorder(_SideTables, ChainTable, SQLiteApplicationRecorder):
    """SQLite: the side tables in the event store's file, written in the append's transaction."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.keys_table} (scope TEXT, key TEXT, digest TEXT, "
            "originator_id TEXT, originator_version INTEGER, result TEXT, PRIMARY KEY (scope, key)) "
            "WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {self.links_table} (relation TEXT, owner TEXT, member TEXT, "
            "PRIMARY KEY (relation, owner, member)) WITHOUT ROWID",
            *sqlite_chain_tables(),
        ]

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        self._write_side_tables(
            c, kwargs.get("expected_head"), kwargs.get("keys", ()), kwargs.get("links", ())
        )
        positions = super()._insert_events(c, stored_events, **kwargs)  # each row's own rowid
        self._extend_chain(c, stored_events, positions or ())
        return positions

    def _lock_chain(self, curs: Any) -> None:
        curs.execute(f"DELETE FROM {self.chain_table} WHERE 0")  # noqa: S608 -- takes the write lock now


class PostgresJourneyRecorder(_SideTables, ChainTable, PostgresApplicationRecorder):
    """PostgreSQL: the side tables in the events table's schema, written in the append's
    transaction; the append condition is checked after taking the library's table lock."""

    mark = "%s"
    position_column = "notification_id"

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        schema = f'"{self.datastore.schema}"'
        prefix = events_table_name.removesuffix("_events")
        self.keys_table = f'{schema}."{prefix}_keys"'
        self.links_table = f'{schema}."{prefix}_links"'
        self.chain_table = f'{schema}."{prefix}_chain"'
        self.verifications_table = f'{schema}."{prefix}_verifications"'
        self.sql_create_statements += [
            SQL(statement)  # type: ignore[misc]
            for statement in (
                f"CREATE TABLE IF NOT EXISTS {self.keys_table} (scope text, key text, digest text, "
                "originator_id uuid, originator_version bigint, result text, PRIMARY KEY (scope, key))",
                f"CREATE TABLE IF NOT EXISTS {self.links_table} (relation text, owner text, "
                "member text, PRIMARY KEY (relation, owner, member))",
                *postgres_chain_tables(self.chain_table, self.verifications_table),
            )
        ]

    def _as_key(self, originator_id: UUID) -> Any:
        return originator_id

    #: Column names of the side tables, for one multi-row insert from a JSON array.
    _columns = {
        KEYS: ("scope", "key", "digest", "originator_id", "originator_version", "result"),
        LINKS: ("relation", "owner", "member"),
    }

    def _insert_rows(self, curs: Any, table: str, suffix: str, rows: list[tuple[Any, ...]]) -> None:
        """One statement and one parameter for any number of rows: a pipelined executemany costs
        protocol messages per row, and arrays of parameters are slow to convert."""
        names = self._columns[KEYS if table == self.keys_table else LINKS]
        document = json.dumps([dict(zip(names, map(str, row), strict=True)) for row in rows])
        curs.execute(
            f"INSERT INTO {table} SELECT * FROM json_populate_recordset(NULL::{table}, %s::json){suffix}",
            (document,),
        )

    def _events_table(self) -> str:
        return f'"{self.datastore.schema}"."{self.events_table_name}"'

    def _chunks(self, values: list[Any]) -> Iterator[tuple[list[Any], str]]:
        """All ``values`` as one array parameter: converting hundreds of parameters costs more."""
        if values:
            yield [values], "= ANY(%s)"

    def _lock_events(self, curs: Any) -> None:
        self._lock_table(curs)

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        self._write_side_tables(
            curs, kwargs.get("expected_head"), kwargs.get("keys", ()), kwargs.get("links", ())
        )

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Sequence[int] | None:
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        self._extend_chain(curs, stored_events, positions or ())
        return positions

    def _lock_chain(self, curs: Any) -> None:
        self._lock_table(curs)

    def _insert_links(self, curs: Any, links: list[tuple[int, bytes]]) -> None:
        """One statement for any number of rows, with two cheap parameters (arrays of parameters
        are slow to convert): the positions as text and the hashes as one byte string."""
        curs.execute(
            f"INSERT INTO {self.chain_table} SELECT p::bigint, substring(%s::bytea FROM i::int * 32 - 31 FOR 32) "  # noqa: S608
            "FROM unnest(string_to_array(%s::text, ',')) WITH ORDINALITY AS t(p, i)",
            (b"".join(h for _, h in links), ",".join(str(p) for p, _ in links)),
        )
