"""One writer at a time across processes: the lock a process holds while it loads, decides and
appends a group of writes, so that writers on one store queue instead of conflicting.

The lock is an optimisation of the append condition (``expected_head``, adapters/write_store.py),
not the guarantee: if a lock is lost (its connection dropped), the condition still refuses a
write decided against an outdated stream. Waiting is bounded by ``timeout``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import psycopg
from eventsourcing.persistence import OperationalError

from adapters.event_store import StoreLocation, conninfo

#: The advisory lock key of the journey's writers (any fixed 64-bit number; "journey" in ASCII).
ADVISORY_KEY = 0x6A6F75726E6579
#: The advisory lock key held while a process creates the tables ("schema" in ASCII).
SCHEMA_KEY = 0x736368656D61
#: The advisory lock key the publishing relay holds ("relay" in ASCII).
RELAY_KEY = 0x72656C6179


class LockTimeoutError(OperationalError):
    """Another process held the writer lock for longer than the wait allows."""


class WriterLock(Protocol):
    """The port: a context manager that holds the store's writer lock."""

    def held(self) -> contextlib.AbstractContextManager[None]:
        """Hold the lock for the ``with`` block; LockTimeoutError when it is not had in time."""
        ...

    def close(self) -> None:
        """Release the lock's resources."""
        ...


class FileWriterLock:
    """SQLite: an advisory ``flock`` on a file beside the database (one machine, as SQLite)."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        pause = 0.001
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeoutError(f"the writer lock was busy for {self.timeout} s") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.02)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class AdvisoryWriterLock:
    """PostgreSQL: a session advisory lock on one dedicated connection, reopened when lost."""

    def __init__(self, location: StoreLocation, timeout: float, key: int = ADVISORY_KEY) -> None:
        self.conninfo = conninfo(location, "journey-writer-lock")
        self.timeout = timeout
        self.key = key
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def _connection(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self.conninfo, autocommit=True)
            self._conn.execute(f"SET lock_timeout = '{int(self.timeout * 1000)}ms'")
        return self._conn

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        try:
            conn = self._connection()
            conn.execute("SELECT pg_advisory_lock(%s)", (self.key,))
        except psycopg.errors.LockNotAvailable:
            raise LockTimeoutError(f"the writer lock was busy for {self.timeout} s") from None
        except psycopg.Error as error:
            self._drop()
            raise OperationalError(f"the writer lock is unreachable: {error}") from None
        try:
            yield
        finally:
            try:
                conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            except psycopg.Error:
                self._drop()  # a lost session releases its advisory locks by itself

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        self._drop()


def writer_lock(location: StoreLocation, timeout: float) -> WriterLock:
    """The writer lock that fits the store at ``location``."""
    if location.is_postgres:
        return AdvisoryWriterLock(location, timeout)
    return FileWriterLock(Path(location.env["SQLITE_DBNAME"] + ".writer.lock"), timeout)


def schema_lock(location: StoreLocation, timeout: float) -> WriterLock:
    """The lock a process holds while it creates the tables it needs: processes starting at the
    same time on a new store (``CREATE TABLE IF NOT EXISTS`` is not safe against a concurrent
    twin on PostgreSQL, nor eventsourcing's first tracking row on SQLite) then take turns."""
    if location.is_postgres:
        return AdvisoryWriterLock(location, timeout, SCHEMA_KEY)
    return FileWriterLock(Path(location.env["SQLITE_DBNAME"] + ".schema.lock"), timeout)


def relay_lock(location: StoreLocation, timeout: float) -> WriterLock:
    """The lease of the one relay that publishes: a second relay waits for it (a stand-by)."""
    if location.is_postgres:
        return AdvisoryWriterLock(location, timeout, RELAY_KEY)
    return FileWriterLock(Path(location.env["SQLITE_DBNAME"] + ".relay.lock"), timeout)
