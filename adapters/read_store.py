"""The read store on SQLite and PostgreSQL: eventsourcing tracking recorders extended with the
department views' tables, so rows and tracking position commit in one transaction.

A redelivered batch carries a tracking position that is not new; the library's single-row
tracking insert then raises IntegrityError and the whole transaction, rows included, rolls back:
exactly-once, whatever the runner does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from psycopg.sql import SQL, Identifier

from projections.batch import Batch, Doc, Fold, Positioned, Snapshot

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _doc_rows(batch: Batch) -> list[tuple[str, str, str, str, str]]:
    return [(v, k, d["customer_id"], d["kind"], _dumps(d)) for v, k, d in batch.dirty_docs()]


def _entry_rows(batch: Batch) -> list[tuple[int, str, str]]:
    return [(p, c, _dumps(e)) for p, c, e in batch.entries]


def _filters(customer_id: str | None, views: tuple[str, ...], kinds: tuple[str, ...], mark: str) -> tuple[str, list[Any]]:
    clauses = [f"view IN ({', '.join([mark] * len(views))})"]
    params: list[Any] = list(views)
    if customer_id is not None:
        clauses.append(f"customer_id = {mark}")
        params.append(customer_id)
    if kinds:
        clauses.append(f"kind IN ({', '.join([mark] * len(kinds))})")
        params += kinds
    return " AND ".join(clauses), params


class SQLiteReadStore(SQLiteTrackingRecorder):
    """The department views in their own SQLite file (the event store's sibling)."""

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS view_documents (view TEXT, key TEXT, customer_id TEXT, "
            "kind TEXT, body TEXT, PRIMARY KEY (view, key)) WITHOUT ROWID",
            "CREATE INDEX IF NOT EXISTS view_documents_customer ON view_documents (customer_id)",
            "CREATE TABLE IF NOT EXISTS view_entries (position INTEGER PRIMARY KEY, "
            "customer_id TEXT, body TEXT)",
            "CREATE INDEX IF NOT EXISTS view_entries_customer ON view_entries (customer_id, position)",
        ]

    def project(self, application_name: str, events: Sequence[Positioned], fold: Fold) -> int:
        with self.datastore.transaction(commit=True) as c:
            # A write first, so this transaction holds SQLite's write lock from here on.
            c.execute(
                "INSERT INTO tracking VALUES (?, 0) ON CONFLICT (application_name) DO NOTHING",
                (application_name,),
            )
            current = self._max_tracking_id(application_name, c) or 0
            events = [(e, p) for e, p in events if p > current]
            if not events:
                return current
            keys = list({e.originator_id.hex for e, _ in events})
            batch = Batch({})
            for start in range(0, len(keys), 900):
                chunk = keys[start : start + 900]
                c.execute(
                    f"SELECT view, key, body FROM view_documents WHERE key IN ({','.join('?' * len(chunk))})",  # noqa: S608
                    chunk,
                )
                batch.docs.update({(v, k): json.loads(b) for v, k, b in c.fetchall()})
            fold(batch, events)
            c.executemany(
                "INSERT INTO view_documents VALUES (?, ?, ?, ?, ?) ON CONFLICT (view, key) "
                "DO UPDATE SET customer_id = excluded.customer_id, kind = excluded.kind, "
                "body = excluded.body",
                _doc_rows(batch),
            )
            c.executemany("INSERT INTO view_entries VALUES (?, ?, ?)", _entry_rows(batch))
            self._insert_tracking(c, Tracking(application_name, events[-1][1]))
            return events[-1][1]

    def position(self, application_name: str) -> int:
        return self.max_tracking_id(application_name) or 0

    def read(
        self,
        application_name: str,
        customer_id: str | None,
        views: tuple[str, ...],
        kinds: tuple[str, ...] = (),
        *,
        entries: bool = False,
    ) -> Snapshot:
        where, params = _filters(customer_id, views, kinds, "?")
        with self.datastore.transaction(commit=False) as c:
            position = self._max_tracking_id(application_name, c) or 0
            c.execute(f"SELECT view, key, body FROM view_documents WHERE {where} ORDER BY key", params)  # noqa: S608
            docs = [(v, k, json.loads(b)) for v, k, b in c.fetchall()]
            rows: list[tuple[int, Doc]] = []
            if entries and customer_id is not None:
                c.execute(
                    "SELECT position, body FROM view_entries WHERE customer_id = ? ORDER BY position",
                    (customer_id,),
                )
                rows = [(p, json.loads(b)) for p, b in c.fetchall()]
        return Snapshot(position, docs, rows)


class PostgresReadStore(PostgresTrackingRecorder):
    """The department views in PostgreSQL, in tables named after the tracking table's prefix."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        prefix = self.tracking_table_name.removesuffix("_tracking")
        schema = Identifier(self.datastore.schema)
        self._docs = SQL("{}.{}").format(schema, Identifier(f"{prefix}_documents"))
        self._entries = SQL("{}.{}").format(schema, Identifier(f"{prefix}_entries"))
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (view text, key text, customer_id text, kind text, "
                "body text, PRIMARY KEY (view, key))"
            ).format(self._docs),
            SQL("CREATE INDEX IF NOT EXISTS {} ON {} (customer_id)").format(
                Identifier(f"{prefix}_documents_customer"), self._docs
            ),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (position bigint PRIMARY KEY, customer_id text, body text)"
            ).format(self._entries),
            SQL("CREATE INDEX IF NOT EXISTS {} ON {} (customer_id, position)").format(
                Identifier(f"{prefix}_entries_customer"), self._entries
            ),
        ]

    def project(self, application_name: str, events: Sequence[Positioned], fold: Fold) -> int:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL("INSERT INTO {}.{} VALUES (%s, 0) ON CONFLICT (application_name) DO NOTHING").format(
                    Identifier(self.datastore.schema), Identifier(self.tracking_table_name)
                ),
                (application_name,),
            )
            # The row lock serialises projectors: a second one waits, then sees the new position.
            curs.execute(
                SQL("SELECT notification_id FROM {}.{} WHERE application_name = %s FOR UPDATE").format(
                    Identifier(self.datastore.schema), Identifier(self.tracking_table_name)
                ),
                (application_name,),
            )
            current = curs.fetchone()["notification_id"] or 0
            events = [(e, p) for e, p in events if p > current]
            if not events:
                return current
            curs.execute(
                SQL("SELECT view, key, body FROM {} WHERE key = ANY(%s)").format(self._docs),
                (list({e.originator_id.hex for e, _ in events}),),
            )
            batch = Batch({(r["view"], r["key"]): json.loads(r["body"]) for r in curs.fetchall()})
            fold(batch, events)
            docs = _doc_rows(batch)
            if docs:
                curs.executemany(
                    SQL(
                        "INSERT INTO {} VALUES (%s, %s, %s, %s, %s) ON CONFLICT (view, key) DO UPDATE "
                        "SET customer_id = excluded.customer_id, kind = excluded.kind, body = excluded.body"
                    ).format(self._docs),
                    docs,
                )
            entries = _entry_rows(batch)
            if entries:
                curs.executemany(
                    SQL("INSERT INTO {} VALUES (%s, %s, %s)").format(self._entries), entries
                )
            self._insert_tracking(curs, Tracking(application_name, events[-1][1]))
            return events[-1][1]

    def position(self, application_name: str) -> int:
        return self.max_tracking_id(application_name) or 0

    def read(
        self,
        application_name: str,
        customer_id: str | None,
        views: tuple[str, ...],
        kinds: tuple[str, ...] = (),
        *,
        entries: bool = False,
    ) -> Snapshot:
        where, params = _filters(customer_id, views, kinds, "%s")
        with self.datastore.transaction(commit=False) as curs:
            # One snapshot for the position and every row read after it.
            curs.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            position = self._max_tracking_id(application_name, curs) or 0
            curs.execute(
                SQL("SELECT view, key, body FROM {} WHERE ").format(self._docs)
                + SQL(where)  # type: ignore[arg-type]
                + SQL(" ORDER BY key"),
                params,
            )
            docs = [(r["view"], r["key"], json.loads(r["body"])) for r in curs.fetchall()]
            rows: list[tuple[int, Doc]] = []
            if entries and customer_id is not None:
                curs.execute(
                    SQL("SELECT position, body FROM {} WHERE customer_id = %s ORDER BY position").format(
                        self._entries
                    ),
                    (customer_id,),
                )
                rows = [(r["position"], json.loads(r["body"])) for r in curs.fetchall()]
        return Snapshot(position, docs, rows)
