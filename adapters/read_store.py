"""The read store on SQLite and PostgreSQL: eventsourcing tracking recorders extended with the
department views' tables, so rows and tracking position commit in one transaction.

``project`` locks the tracking row, skips events at or below the tracked position, folds the
rest and writes documents, entries, the dunning candidates and list rows and the new position
together:
each event is applied exactly once, however many projectors run and however often an event is
delivered.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg.sql import SQL

from adapters.campaign_queries import CampaignQueries
from adapters.candidates_table import CandidatesTable
from adapters.documents import load_doc
from adapters.erasure_rows import ErasureRows
from adapters.kafka_tables import KafkaTables
from adapters.lists_table import ListsTable
from projections.batch import Batch, Doc, Fold, Positioned, Snapshot

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class ViewTables(CandidatesTable, ListsTable, KafkaTables, ErasureRows, CampaignQueries):
    """The SQL both databases share; subclasses name the tables, the placeholder, and how the
    tracking row is locked. Rows are read by column name (sqlite3.Row and psycopg's DictRow)."""

    mark = "?"
    lock_clause = ""
    docs = "view_documents"
    entries = "view_entries"
    candidates = "view_candidates"
    lists = "view_list_rows"
    legacy_lists: str | None = "view_lists"
    candidates_index = " INDEXED BY view_candidates_eligible"  # SQLite would walk the primary key
    tracking = "tracking"
    datastore: Any
    _insert_tracking: Any
    max_tracking_id: Any

    def _marks(self, n: int) -> str:
        return ", ".join([self.mark] * n)

    def _among(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """``column`` is one of ``values``: the condition and its parameters (one mark each)."""
        return f"{column} IN ({self._marks(len(values))})", list(values)

    def _tracked(self, cursor: Any, application_name: str) -> int:
        """Lock the tracking row (creating it at 0) and return its position."""
        cursor.execute(
            f"INSERT INTO {self.tracking} VALUES ({self._marks(2)}) ON CONFLICT (application_name) DO NOTHING",
            (application_name, 0),
        )
        cursor.execute(
            f"SELECT notification_id FROM {self.tracking} WHERE application_name = {self.mark}{self.lock_clause}",
            (application_name,),
        )
        return cursor.fetchone()["notification_id"] or 0

    def project(
        self, application_name: str, events: Sequence[Positioned], fold: Fold, position: int | None = None
    ) -> int:
        reached = position if position is not None else events[-1][1]
        with self.datastore.transaction(commit=True) as c:
            current = self._tracked(c, application_name)
            if reached <= current:
                return current
            self._fold_into(c, [(e, p) for e, p in events if p > current], fold)
            self._insert_tracking(c, Tracking(application_name, reached))
            return reached

    def position(self, application_name: str) -> int:
        if self.source_topic is not None:
            with self.datastore.transaction(commit=False) as c:
                return self._kafka_position(c)
        return self.max_tracking_id(application_name) or 0

    def _fold_into(self, c: Any, events: Sequence[Positioned], fold: Fold) -> None:
        """Load the documents ``events`` touch, fold them, and write the dirty documents, the
        journey entries, the dunning candidates and the list rows, all in transaction ``c``."""
        keys = list({e.originator_id.hex for e, _ in events})
        batch = Batch({})
        for start in range(0, len(keys), 900):
            chunk = keys[start : start + 900]
            c.execute(
                f"SELECT view, key, body FROM {self.docs} WHERE key IN ({self._marks(len(chunk))})",  # noqa: S608
                chunk,
            )
            batch.docs.update({(r["view"], r["key"]): load_doc(r["body"]) for r in c.fetchall()})
        self._load_erased(c, batch, events)
        fold(batch, events)
        docs = [(v, k, d["customer_id"], d["kind"], _dumps(d)) for v, k, d in batch.dirty_docs()]
        if docs:
            c.executemany(
                f"INSERT INTO {self.docs} VALUES ({self._marks(5)}) ON CONFLICT (key, view) "  # noqa: S608
                "DO UPDATE SET customer_id = excluded.customer_id, kind = excluded.kind, body = excluded.body",
                docs,
            )
        if batch.entries:
            c.executemany(
                f"INSERT INTO {self.entries} VALUES ({self._marks(3)})",  # noqa: S608
                [(p, customer, _dumps(e)) for p, customer, e in batch.entries],
            )
        self._write_rewritten(c, batch)
        self._write_candidates(c, batch)
        self._write_lists(c, batch)

    def close(self) -> None:
        self.datastore.close()

    def _begin_snapshot(self, cursor: Any) -> None:
        """Make every read of the transaction see one snapshot."""

    def _position_in(self, c: Any, application_name: str) -> int:
        if self.source_topic is not None:
            return self._kafka_position(c)
        c.execute(
            f"SELECT notification_id FROM {self.tracking} WHERE application_name = {self.mark}",  # noqa: S608
            (application_name,),
        )
        row = c.fetchone()
        return (row and row["notification_id"]) or 0

    def read(
        self,
        application_name: str,
        customer_id: str | None,
        views: tuple[str, ...],
        kinds: tuple[str, ...] = (),
        *,
        entries: bool = False,
    ) -> Snapshot:
        clauses, params = [f"view IN ({self._marks(len(views))})"], list(views)
        if customer_id is not None:
            clauses.append(f"customer_id = {self.mark}")
            params.append(customer_id)
        if kinds:
            clauses.append(f"kind IN ({self._marks(len(kinds))})")
            params += kinds
        with self.datastore.transaction(commit=False) as c:
            self._begin_snapshot(c)
            position = self._position_in(c, application_name)
            c.execute(
                f"SELECT view, key, body FROM {self.docs} WHERE {' AND '.join(clauses)} ORDER BY key, view",  # noqa: S608
                params,
            )
            docs = [(r["view"], r["key"], load_doc(r["body"])) for r in c.fetchall()]
            rows: list[tuple[int, Doc]] = []
            if entries and customer_id is not None:
                c.execute(
                    f"SELECT position, body FROM {self.entries} WHERE customer_id = {self.mark} "  # noqa: S608
                    "ORDER BY position",
                    (customer_id,),
                )
                rows = [(r["position"], load_doc(r["body"])) for r in c.fetchall()]
        return Snapshot(position, docs, rows)


class SQLiteReadStore(ViewTables, SQLiteTrackingRecorder):
    """The department views in their own SQLite file (the event store's sibling). The first
    statement of ``project`` is a write, so the transaction holds SQLite's write lock. Deleted
    and overwritten rows are zeroed (``secure_delete``): erased data leaves no copy behind."""

    def _tracked(self, cursor: Any, application_name: str) -> int:
        cursor.execute("PRAGMA secure_delete = ON")
        return super()._tracked(cursor, application_name)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.docs} (view TEXT, key TEXT, customer_id TEXT, "
            "kind TEXT, body TEXT, PRIMARY KEY (key, view)) WITHOUT ROWID",
            f"CREATE INDEX IF NOT EXISTS {self.docs}_customer ON {self.docs} (customer_id)",
            f"CREATE TABLE IF NOT EXISTS {self.entries} (position INTEGER PRIMARY KEY, "
            "customer_id TEXT, body TEXT)",
            f"CREATE INDEX IF NOT EXISTS {self.entries}_customer ON {self.entries} (customer_id, position)",
            f"CREATE TABLE IF NOT EXISTS {self.candidates} (key TEXT PRIMARY KEY, customer_id TEXT, "
            "invoice_id TEXT, next_eligible_on TEXT, last_dunning_on TEXT, dunnable BOOLEAN) WITHOUT ROWID",
            f"CREATE INDEX IF NOT EXISTS {self.candidates}_eligible ON {self.candidates} "
            "(next_eligible_on, last_dunning_on, key, dunnable) WHERE dunnable = TRUE",
            *self.list_statements(self.lists, postgres=False),
            *self.kafka_statements(postgres=False),
        ]


class PostgresReadStore(ViewTables, PostgresTrackingRecorder):
    """The department views in PostgreSQL, in tables named after the tracking table's prefix.
    ``FOR UPDATE`` on the tracking row serialises projectors."""

    mark = "%s"
    lock_clause = " FOR UPDATE"
    candidates_index = ""  # the planner chooses by statistics

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        prefix = self.tracking_table_name.removesuffix("_tracking")
        schema = f'"{self.datastore.schema}"'
        self.docs = f'{schema}."{prefix}_documents"'
        self.entries = f'{schema}."{prefix}_entries"'
        self.candidates = f'{schema}."{prefix}_candidates"'
        self.lists = f'{schema}."{prefix}_list_rows"'
        self.legacy_lists = f'{schema}."{prefix}_lists"'
        self.tracking = f'{schema}."{self.tracking_table_name}"'
        self.relay = f'{schema}."{prefix}_relay"'
        self.partitions = f'{schema}."{prefix}_partitions"'
        self.sql_create_statements += [
            SQL(statement)  # type: ignore[misc]
            for statement in (
                f"CREATE TABLE IF NOT EXISTS {self.docs} (view text, key text, customer_id text, "
                "kind text, body text, PRIMARY KEY (key, view))",
                f'CREATE INDEX IF NOT EXISTS "{prefix}_documents_customer" ON {self.docs} (customer_id)',
                f"CREATE TABLE IF NOT EXISTS {self.entries} (position bigint PRIMARY KEY, "
                "customer_id text, body text)",
                f'CREATE INDEX IF NOT EXISTS "{prefix}_entries_customer" '
                f"ON {self.entries} (customer_id, position)",
                f"CREATE TABLE IF NOT EXISTS {self.candidates} (key text PRIMARY KEY, customer_id text, "
                "invoice_id text, next_eligible_on text, last_dunning_on text, dunnable boolean)",
                f'CREATE INDEX IF NOT EXISTS "{prefix}_candidates_eligible" ON {self.candidates} '
                "(next_eligible_on, last_dunning_on, key) WHERE dunnable = TRUE",
                *self.list_statements(f"{prefix}_list_rows", postgres=True),
                *self.kafka_statements(postgres=True),
            )
        ]

    def _among(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        # One array parameter: the statement stays short, so psycopg parses it once and caches it.
        return f"{column} = ANY({self.mark})", [list(values)]

    def _begin_snapshot(self, cursor: Any) -> None:
        # The lock comes before the snapshot (taken by the first SELECT): a read waits while a
        # rebuild switches tables in (adapters/rebuild_tables.py), then sees the new ones whole.
        cursor.execute(
            f"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; LOCK TABLE {self.docs} IN ACCESS SHARE MODE"
        )
