"""Fresh, disposable event stores for the benchmark: SQLite files in a temporary directory and
databases on a PostgreSQL server (JOURNEY_BENCH_DATABASE_URL, else a throwaway local cluster)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from bench.runner import PROFILE_DIR, Result, measure
from tests.support.postgres import create_database, drop_database, postgres_server

ENV_VAR = "JOURNEY_BENCH_DATABASE_URL"
T = TypeVar("T")


class Stores(Protocol):
    label: str

    def new(self, name: str) -> str:
        """URL of a new, empty event store called ``name``."""
        ...

    def copy(self, source: str, name: str) -> str:
        """URL of a copy of the event store ``source`` (its stream only, no read store)."""
        ...

    def describe(self) -> str:
        ...


class SQLiteStores:
    label = "sqlite"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, name: str) -> Path:
        return self.root / f"{name}.sqlite"

    def new(self, name: str) -> str:
        return f"sqlite:///{self._path(name)}"

    def copy(self, source: str, name: str) -> str:
        # The backup API copies a consistent image, whatever is still in the WAL file.
        with contextlib.closing(sqlite3.connect(self._path(source))) as src, contextlib.closing(
            sqlite3.connect(self._path(name))
        ) as dst:
            src.backup(dst)
        return self.new(name)

    def describe(self) -> str:
        return f"SQLite {sqlite3.sqlite_version} (files in {self.root.parent}, {_filesystem(self.root)}, WAL)"


class PostgresStores:
    label = "postgres"

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.prefix = f"bench_{uuid.uuid4().hex[:8]}"
        self.created: list[str] = []

    def _db(self, name: str) -> str:
        return f"{self.prefix}_{name}"

    def new(self, name: str) -> str:
        self.created.append(self._db(name))
        return create_database(self.base_url, self._db(name))

    def copy(self, source: str, name: str) -> str:
        with psycopg.connect(self.base_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(self._db(name)), sql.Identifier(self._db(source))
                )
            )
        self.created.append(self._db(name))
        return urlunsplit(urlsplit(self.base_url)._replace(path=f"/{self._db(name)}"))

    def describe(self) -> str:
        with psycopg.connect(self.base_url) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            settings = {
                name: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]
                for name in ("fsync", "synchronous_commit")
            }
        where = "given by " + ENV_VAR if os.environ.get(ENV_VAR) else "throwaway local cluster"
        flags = ", ".join(f"{k}={v}" for k, v in settings.items())
        return f"PostgreSQL {version} ({where}, {flags}, over TCP on 127.0.0.1)"

    def close(self) -> None:
        for name in reversed(self.created):
            with contextlib.suppress(Exception):
                drop_database(self.base_url, name)


def _filesystem(path: Path) -> str:
    """The filesystem type holding ``path`` (SQLite's commit cost is its fsync's cost)."""
    best, kind = "", "unknown filesystem"
    with contextlib.suppress(OSError), open("/proc/mounts", encoding="utf-8") as mounts:
        for line in mounts:
            _, point, fstype, *_ = line.split()
            if str(path).startswith(point) and len(point) > len(best):
                best, kind = point, fstype
    return kind


@contextlib.contextmanager
def sqlite_stores() -> Iterator[SQLiteStores]:
    with tempfile.TemporaryDirectory(prefix="journey-bench-") as root:
        yield SQLiteStores(Path(root))


@contextlib.contextmanager
def postgres_stores() -> Iterator[PostgresStores]:
    url = os.environ.get(ENV_VAR)
    with contextlib.nullcontext(url) if url else postgres_server() as base_url:
        stores = PostgresStores(base_url)
        try:
            yield stores
        finally:
            stores.close()


#: The stores of the in-process cases, by ``BENCH_STORES`` label.
OPENERS: dict[str, Callable[[], contextlib.AbstractContextManager[Stores]]] = {
    "sqlite": sqlite_stores, "postgres": postgres_stores,
}


def run_case(stores: Stores, case: str, kind: str, slug: str, args: list[str]) -> Result:
    """One worker case on ``stores`` in a fresh process (profiled as ``slug`` when asked)."""
    profile = PROFILE_DIR / f"{stores.label}-{slug}.prof" if PROFILE_DIR else None
    return measure(case, stores.label, kind, args, profile)


def on_each_store(labels: Sequence[str], what: str, bench_store: Callable[[Stores], T]) -> tuple[list[str], list[T]]:
    """``bench_store`` on a fresh store of each kind in ``labels``; the stores' descriptions and
    the results, in that order."""
    described: list[str] = []
    results: list[T] = []
    with contextlib.ExitStack() as stack:
        for label in labels:
            print(f"{label} ({what}):", file=sys.stderr)
            stores = stack.enter_context(OPENERS[label]())
            described.append(stores.describe())
            results.append(bench_store(stores))
    return described, results
