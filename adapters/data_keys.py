"""The customers' data keys: ``journey_data_keys``, one row per customer, in the event store's
database (the SQLite file or the PostgreSQL schema), reached through the event store's datastore.

A row holds the customer's data key wrapped (encrypted) by the master key, never the key itself.
Erasing a person deletes the row; ``purge`` then removes what the database keeps of deleted rows
(SQLite: deleted with ``secure_delete`` and the write-ahead log truncated; PostgreSQL:
``VACUUM FULL`` of this small table, which writes it afresh and unlinks the old file).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

DATA_KEYS_TABLE = "journey_data_keys"


class DataKeyStore(Protocol):
    """The port to the wrapped data keys, one per customer id."""

    def create_table(self) -> None:
        """Create the table when it is missing."""
        ...

    def wrapped(self, customer_ids: Iterable[str]) -> dict[str, bytes]:
        """The wrapped keys stored for ``customer_ids`` (absent ids are left out)."""
        ...

    def add_missing(self, rows: list[tuple[str, bytes]], at: datetime) -> None:
        """Store each ``(customer_id, wrapped)`` unless a key is stored for it already (another
        process may win the race: read the keys again afterwards)."""
        ...

    def delete(self, customer_id: str) -> bool:
        """Delete the customer's key; False when there was none."""
        ...

    def purge(self) -> None:
        """Remove what the database still holds of deleted keys (free pages, logs, dead rows)."""
        ...


def _chunks(items: list[str], size: int = 900) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _SQLDataKeys:
    """The SQL both databases share, on an eventsourcing datastore."""

    mark = "?"
    blob = "BLOB"

    def __init__(self, datastore: Any, table: str = DATA_KEYS_TABLE) -> None:
        self.datastore = datastore
        self.table = table

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (customer_id TEXT PRIMARY KEY, "
                f"wrapped {self.blob} NOT NULL, created_at TEXT NOT NULL)"
            )

    def wrapped(self, customer_ids: Iterable[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        ids = list(dict.fromkeys(customer_ids))
        if not ids:
            return found
        with self.datastore.transaction(commit=False) as c:
            for chunk in _chunks(ids):
                c.execute(
                    f"SELECT customer_id, wrapped FROM {self.table} "  # noqa: S608
                    f"WHERE customer_id IN ({', '.join([self.mark] * len(chunk))})",
                    chunk,
                )
                found.update({r["customer_id"]: bytes(r["wrapped"]) for r in c.fetchall()})
        return found

    def add_missing(self, rows: list[tuple[str, bytes]], at: datetime) -> None:
        if not rows:
            return
        m = self.mark
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"INSERT INTO {self.table} (customer_id, wrapped, created_at) VALUES ({m}, {m}, {m}) "  # noqa: S608
                "ON CONFLICT (customer_id) DO NOTHING",
                [(customer_id, wrapped, at.isoformat()) for customer_id, wrapped in rows],
            )

    def delete(self, customer_id: str) -> bool:
        with self.datastore.transaction(commit=True) as c:
            self._before_delete(c)
            c.execute(
                f"DELETE FROM {self.table} WHERE customer_id = {self.mark} RETURNING customer_id",  # noqa: S608
                (customer_id,),
            )
            return bool(c.fetchall())

    def _before_delete(self, cursor: Any) -> None:
        """Prepare the connection for a delete that leaves nothing behind."""


class SQLiteDataKeys(_SQLDataKeys):
    """SQLite: deletes overwrite the row's bytes with zeros (``secure_delete``); ``purge``
    checkpoints the write-ahead log into the file and truncates the log, so no earlier page
    image holding the key survives there."""

    def _before_delete(self, cursor: Any) -> None:
        cursor.execute("PRAGMA secure_delete = ON")

    def purge(self) -> None:
        sqlite_checkpoint(self.datastore)


def sqlite_checkpoint(datastore: Any, wait: float = 10.0) -> None:
    """Copy every page of the write-ahead log into the database file and truncate the log to
    zero bytes (``wal_checkpoint(TRUNCATE)``), trying again while readers hold it, for at most
    ``wait`` seconds; then raises."""
    deadline = time.monotonic() + wait
    while True:
        with datastore.get_connection(commit=True) as connection:
            cursor = connection.cursor()
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = cursor.fetchone()[0]
        if not busy:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the SQLite write-ahead log could not be truncated: readers held it; erase again")
        time.sleep(0.05)


class PostgresDataKeys(_SQLDataKeys):
    """PostgreSQL: ``purge`` rewrites the small table (``VACUUM FULL``), so the dead row of a
    deleted key is not left in a page of the old file."""

    mark = "%s"
    blob = "BYTEA"

    def __init__(self, datastore: Any, table: str = DATA_KEYS_TABLE) -> None:
        super().__init__(datastore, f'"{datastore.schema}".{table}' if datastore.schema else table)

    def purge(self) -> None:
        postgres_vacuum_full(self.datastore, [self.table])


def postgres_vacuum_full(datastore: Any, tables: list[str]) -> None:
    """``VACUUM FULL`` each of ``tables`` (outside a transaction, as VACUUM must run)."""
    with datastore.get_connection() as connection:
        previous = connection.autocommit
        connection.autocommit = True
        try:
            for table in tables:
                connection.execute(f"VACUUM FULL {table}")
        finally:
            connection.autocommit = previous


class MemoryDataKeys:
    """The keys in memory: for an application without a database (unit tests)."""

    def __init__(self) -> None:
        self._rows: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def create_table(self) -> None:
        pass

    def wrapped(self, customer_ids: Iterable[str]) -> dict[str, bytes]:
        with self._lock:
            return {c: self._rows[c] for c in customer_ids if c in self._rows}

    def add_missing(self, rows: list[tuple[str, bytes]], at: datetime) -> None:
        with self._lock:
            for customer_id, wrapped in rows:
                self._rows.setdefault(customer_id, wrapped)

    def delete(self, customer_id: str) -> bool:
        with self._lock:
            return self._rows.pop(customer_id, None) is not None

    def purge(self) -> None:
        pass


def data_key_store(datastore: Any | None, is_postgres: bool) -> DataKeyStore:
    """The key table of the event store's ``datastore`` (in memory when it has none)."""
    if datastore is None:
        return MemoryDataKeys()
    return PostgresDataKeys(datastore) if is_postgres else SQLiteDataKeys(datastore)
