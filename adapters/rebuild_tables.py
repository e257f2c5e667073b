"""Views built beside the live ones, then switched in: scratch tables of the read store.

A scratch store is a read store of the same kind over the same database (the views' SQLite file,
or the PostgreSQL database) whose tables carry a name (``rebuild``, ``verify``) and whose
tracking row is its own (``<application>@<name>``). ``swap`` puts its tables in place of the live
ones in one transaction that first locks the live tracking row, so no projector advances the live
views meanwhile, folds what the live views reflect beyond the scratch tables, renames and drops.

What readers see: on SQLite (WAL) a read transaction keeps its snapshot, schema included, so it
reads the old tables whole until it ends; the next one reads the new tables. On PostgreSQL every
read locks the documents table (``ACCESS SHARE``) before its snapshot is taken; the switch takes
``ACCESS EXCLUSIVE`` on the old tables just before it renames, so a read either ends on the old
tables before the switch or starts on the new ones after it commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from adapters.read_store import PostgresReadStore, SQLiteReadStore, ViewTables
from projections import billing, journey
from projections.batch import Fold, Positioned
from projections.lists import FED_BY

#: The view tables a scratch store holds, by attribute, with each one's key columns.
TABLES = {"docs": ("key", "view"), "entries": ("position",), "candidates": ("key",), "lists": ("key", "list", "sort_key")}
#: Their PostgreSQL name suffixes (``<prefix>_<suffix>``).
PG_SUFFIXES = {"docs": "documents", "entries": "entries", "candidates": "candidates", "lists": "list_rows"}

Pages = Callable[[int, int], Iterable[Sequence[Positioned]]]


class ScratchGoneError(Exception):
    """The scratch tables were switched in or dropped by another run meanwhile."""


class ScratchAheadError(Exception):
    """One view's scratch tables reflect a later position than the live views (only a full
    rebuild may move the live views on)."""


def view_rows(view: str, mark: str = "?") -> list[tuple[str, str, list[str]]]:
    """The rows of the view tables that belong to ``view``, as (table attribute, condition,
    parameters): its documents; the journey's entries; billing's dunning candidates; the list
    rows of the lists it feeds (``projections.lists.FED_BY``)."""
    rows = [("docs", f"view = {mark}", [view])]
    if view == journey.VIEW:
        rows.append(("entries", "1 = 1", []))
    if view == billing.VIEW:
        rows.append(("candidates", "1 = 1", []))
    fed = list(FED_BY.get(view, ()))
    if fed:
        rows.append(("lists", f"list IN ({', '.join([mark] * len(fed))})", fed))
    return rows


class ScratchTables:
    """What both scratch stores add to a read store: their tracking name, existence, drop, swap."""

    name: str
    docs: str
    entries: str
    candidates: str
    lists: str
    datastore: Any
    mark: str
    _tracked: Any
    _position_in: Any
    _fold_into: Any

    def tracked_as(self, application_name: str) -> str:
        """The name of the scratch tables' own tracking row."""
        return f"{application_name}@{self.name}"

    def exists(self) -> bool:
        with self.datastore.transaction(commit=False) as c:
            return self._exists(c)

    def _exists(self, c: Any) -> bool:
        raise NotImplementedError

    def drop(self) -> None:
        """Drop the scratch tables and their tracking; the live views are not touched."""
        with self.datastore.transaction(commit=True) as c:
            self._drop(c)

    def _drop(self, c: Any) -> None:
        raise NotImplementedError

    def _rename(self, c: Any, live: ViewTables) -> None:
        raise NotImplementedError

    def swap_view(self, live: ViewTables, application_name: str, pages: Pages, fold: Fold, view: str) -> int:
        """In one transaction: lock the live tracking row, fold into the scratch tables (filled
        by ``fold``, one view's) what the live views reflect beyond them, put the rows of
        ``view`` in place of the live ones (``view_rows``), leave every other view's rows and
        the live tracking as they are, and drop the scratch tables. Returns the position."""
        with self.datastore.transaction(commit=True) as c:
            live_position = live._tracked(c, application_name)  # noqa: SLF001 -- projectors wait from here
            if not self._exists(c):
                raise ScratchGoneError("the scratch tables are gone: another run switched or dropped them")
            built = self._position_in(c, self.tracked_as(application_name))
            if built > live_position:
                raise ScratchAheadError(
                    f"the new tables reflect position {built}, the live views {live_position}: discard them"
                )
            for events in pages(built, live_position):
                self._fold_into(c, events, fold)
            for attribute, where, params in view_rows(view, self.mark):
                c.execute(f"DELETE FROM {getattr(live, attribute)} WHERE {where}", params)  # noqa: S608
                c.execute(
                    f"INSERT INTO {getattr(live, attribute)} "  # noqa: S608 -- names and marks of our own
                    f"SELECT * FROM {getattr(self, attribute)} WHERE {where}",
                    params,
                )
            self._drop(c)
            return live_position

    def swap(self, live: ViewTables, application_name: str, pages: Pages, fold: Fold) -> int:
        """In one transaction: lock the live tracking row, fold into the scratch tables what the
        live views reflect beyond them (``pages(after, up_to)``), put the scratch tables in place
        of the live ones, and leave the live tracking at the position they reflect (the live one,
        or the scratch one where that is further). Returns that position."""
        with self.datastore.transaction(commit=True) as c:
            live_position = live._tracked(c, application_name)  # noqa: SLF001 -- projectors wait from here
            if not self._exists(c):
                raise ScratchGoneError("the scratch tables are gone: another run switched or dropped them")
            built = self._position_in(c, self.tracked_as(application_name))
            for events in pages(built, live_position):
                self._fold_into(c, events, fold)
            reached = max(built, live_position)
            self._rename(c, live)
            if reached > live_position:
                live._insert_tracking(c, Tracking(application_name, reached))  # noqa: SLF001
            return reached


class SQLiteScratch(ScratchTables, SQLiteReadStore):
    """Scratch tables in the views' SQLite file, named ``<name>_view_*``. Only the documents'
    customer index is built while they fill (the fold reads by it); the others are built under
    their live names when the tables are switched in (SQLite cannot rename an index)."""

    candidates_index = ""

    def __init__(self, datastore: SQLiteDatastore, name: str) -> None:
        self.name = name
        self.docs, self.entries = f"{name}_view_documents", f"{name}_view_entries"
        self.candidates, self.lists = f"{name}_view_candidates", f"{name}_view_list_rows"
        self.legacy_lists = None
        super().__init__(datastore)

    def construct_create_table_statements(self) -> list[str]:
        needed = f"CREATE INDEX IF NOT EXISTS {self.docs}_customer "
        return [
            s for s in super().construct_create_table_statements()
            if not s.startswith("CREATE INDEX") or s.startswith(needed)
        ]

    def kafka_statements(self, *, postgres: bool) -> list[str]:  # noqa: ARG002
        return []

    def create_table(self) -> None:
        SQLiteTrackingRecorder.create_table(self)  # no filling from older tables: they start empty

    def _exists(self, c: Any) -> bool:
        c.execute("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?", (self.docs,))
        return bool(c.fetchone()["n"])

    def _drop(self, c: Any) -> None:
        for attribute in TABLES:
            c.execute(f"DROP TABLE IF EXISTS {getattr(self, attribute)}")
        c.execute(f"DROP TABLE IF EXISTS {self.name}_view_lists")  # of a run started by the version before
        c.execute("DELETE FROM tracking WHERE application_name LIKE ?", (f"%@{self.name}",))

    def _rename(self, c: Any, live: ViewTables) -> None:
        for attribute in TABLES:
            c.execute(f"DROP TABLE {getattr(live, attribute)}")
            c.execute(f"ALTER TABLE {getattr(self, attribute)} RENAME TO {getattr(live, attribute)}")
        c.execute(f"DROP INDEX IF EXISTS {self.docs}_customer")
        for statement in live.create_table_statements:  # type: ignore[attr-defined]
            if statement.startswith("CREATE INDEX"):
                c.execute(statement)
        c.execute("DELETE FROM tracking WHERE application_name LIKE ?", (f"%@{self.name}",))


class PostgresScratch(ScratchTables, PostgresReadStore):
    """Scratch tables in the PostgreSQL database, ``<prefix>_<name>_*`` with their own tracking
    table and every index of the live ones; switched in by renaming tables and indexes."""

    def __init__(self, datastore: PostgresDatastore, live_prefix: str, name: str) -> None:
        self.name = name
        self.live_prefix = live_prefix
        self.prefix = f"{live_prefix}_{name}"
        super().__init__(datastore, tracking_table_name=f"{self.prefix}_tracking")

    def kafka_statements(self, *, postgres: bool) -> list[str]:  # noqa: ARG002
        return []

    def create_table(self) -> None:
        PostgresTrackingRecorder.create_table(self)

    def _exists(self, c: Any) -> bool:
        c.execute("SELECT to_regclass(%s) AS t", (self.docs,))
        return c.fetchone()["t"] is not None

    def _drop(self, c: Any) -> None:
        legacy = f'"{self.datastore.schema}"."{self.prefix}_lists"'  # of a run started by the version before
        c.execute(f"DROP TABLE IF EXISTS {self.docs}, {self.entries}, {self.candidates}, {self.lists}, {legacy}, "
                  f"{self.tracking}")

    def _rename(self, c: Any, live: ViewTables) -> None:
        schema = self.datastore.schema
        olds = ", ".join(getattr(live, attribute) for attribute in TABLES)
        c.execute(f"LOCK TABLE {olds} IN ACCESS EXCLUSIVE MODE")  # readers: on the old tables until here
        c.execute(f"DROP TABLE {olds}")
        for suffix in PG_SUFFIXES.values():
            c.execute(f'ALTER TABLE "{schema}"."{self.prefix}_{suffix}" RENAME TO "{self.live_prefix}_{suffix}"')
        c.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = ANY(%s)",
            (schema, [f"{self.live_prefix}_{suffix}" for suffix in PG_SUFFIXES.values()]),
        )
        for name in [r["indexname"] for r in c.fetchall()]:
            if name.startswith(f"{self.prefix}_"):
                renamed = f"{self.live_prefix}_{name.removeprefix(f'{self.prefix}_')}"
                c.execute(f'ALTER INDEX "{schema}"."{name}" RENAME TO "{renamed}"')
        c.execute(f"DROP TABLE {self.tracking}")

    def analyze(self) -> None:
        """Gather the planner's statistics of the filled tables before they go live."""
        with self.datastore.transaction(commit=True) as c:
            for attribute in TABLES:
                c.execute(f"ANALYZE {getattr(self, attribute)}")


def scratch_store(live: ViewTables, name: str) -> ScratchTables:
    """A scratch store called ``name`` beside the ``live`` read store, its tables created when
    missing (and left as they are when a run before filled them partly)."""
    store: ScratchTables
    if isinstance(live, PostgresReadStore):
        store = PostgresScratch(live.datastore, live.tracking_table_name.removesuffix("_tracking"), name)
    elif isinstance(live, SQLiteReadStore):
        store = SQLiteScratch(live.datastore, name)
    else:
        raise TypeError(f"no scratch tables for {type(live).__name__}")
    store.create_table()
    return store


def existing(live: ViewTables, name: str) -> bool:
    """Whether scratch tables called ``name`` exist beside ``live`` (a run left them)."""
    probe: ScratchTables
    if isinstance(live, PostgresReadStore):
        probe = PostgresScratch(live.datastore, live.tracking_table_name.removesuffix("_tracking"), name)
    else:
        probe = SQLiteScratch(live.datastore, name)
    return probe.exists()
