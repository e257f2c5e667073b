"""The list table of the read store: the rows of every list (``projections.lists``), written with
the documents in ``project``'s transaction, read a page at a time (``read_list``).

A row's key, list and ``sort_key`` make it unique (a document may have several rows in one
list: one per contact of a campaign); an index on ``(list, sort_key)`` serves every
page (a keyset: rows after the cursor's sort key, in order, one more than asked) and every range
of sort keys (a minimum age, a receivables bucket); ``(list, tag, sort_key)`` serves a list
filtered by its tag (a product group); ``(list, day, currency, amount)`` covers the totals;
``(list, customer_id)`` finds a thousand customers' rows of a list (the contact rule's reads). A
search walks the list's index in order and stops after a page of matches.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from adapters.documents import load_doc
from domain.values import aggregate_id
from projections import billing, customers
from projections.batch import Batch, Doc, Snapshot
from projections.list_queries import Count, ListPage, ListQuery, Total
from projections.lists import FED_BY, SOURCES, ListRow, list_rows

_COLUMNS = "list, key, sort_key, customer_id, tag, day, currency, amount, search"
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _like(text: str) -> str:
    """``text`` as a LIKE pattern matching itself (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def chunks(items: list[Any], size: int = 900) -> list[list[Any]]:
    """``items`` in lists of ``size`` (SQLite binds at most 999 values a statement)."""
    return [items[start : start + size] for start in range(0, len(items), size)]


class ListsTable:
    """A mixin of the read stores; they name ``lists`` and create it (``list_statements``)."""

    mark: str
    docs: str
    entries: str
    tracking: str
    lists: str
    #: The table the rows were kept in before a document could have several rows in one list.
    legacy_lists: str | None = None
    datastore: Any
    _marks: Any
    _begin_snapshot: Any
    _position_in: Any

    def list_statements(self, index_prefix: str, *, postgres: bool) -> list[str]:
        """The table and its indexes; on PostgreSQL sort keys and tags compare byte-wise, as on
        SQLite, whatever the database's collation (pages and counts ask for ranges of both)."""
        text, sort, amount = ("text", 'text COLLATE "C"', "bigint") if postgres else ("TEXT", "TEXT", "INTEGER")
        rowid = "" if postgres else " WITHOUT ROWID"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.lists} (list {text}, key {text}, sort_key {sort}, "
            f"customer_id {text}, tag {sort}, day {text}, currency {text}, amount {amount}, search {text}, "
            f"PRIMARY KEY (key, list, sort_key)){rowid}",
            f'CREATE INDEX IF NOT EXISTS "{index_prefix}_sorted" ON {self.lists} (list, sort_key)',
            f'CREATE INDEX IF NOT EXISTS "{index_prefix}_tagged" ON {self.lists} (list, tag, sort_key)',
            f'CREATE INDEX IF NOT EXISTS "{index_prefix}_days" ON {self.lists} (list, day, currency, amount)',
            f'CREATE INDEX IF NOT EXISTS "{index_prefix}_owners" ON {self.lists} (list, customer_id)',
        ]

    def _write_lists(self, c: Any, batch: Batch) -> None:
        """Rewrite the rows of the documents the batch changed, in the lists their view feeds."""
        changed: dict[str, list[tuple[str, Doc]]] = defaultdict(list)
        for view, key, doc in batch.dirty_docs():
            if view in FED_BY:
                changed[view].append((key, doc))
        for view, docs in changed.items():
            names = FED_BY[view]
            for chunk in chunks([key for key, _ in docs]):
                c.execute(
                    f"DELETE FROM {self.lists} WHERE list IN ({self._marks(len(names))}) "  # noqa: S608
                    f"AND key IN ({self._marks(len(chunk))})",
                    [*names, *chunk],
                )
        self._insert_rows(c, [row for view, docs in changed.items() for key, doc in docs for row in list_rows(view, key, doc)])

    def _insert_rows(self, c: Any, rows: list[ListRow]) -> None:
        if rows:
            c.executemany(
                f"INSERT INTO {self.lists} ({_COLUMNS}) VALUES ({self._marks(9)})",  # noqa: S608
                [(r.list, r.key, r.sort_key, r.customer_id, r.tag, r.day, r.currency, r.amount, r.search) for r in rows],
            )

    def create_table(self) -> None:
        super().create_table()  # type: ignore[misc]
        self._fill_lists()

    def _fill_lists(self) -> None:
        """Fill an empty list table from the documents of a read store projected before it
        existed (and the customers' documents from their journey entries, when the store was
        projected before that view existed), dropping the table of the version before;
        serialised with projectors by the tracking lock. A list added to a filled table is
        filled by ``journey rebuild --view`` of its view."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"UPDATE {self.tracking} SET notification_id = notification_id")  # noqa: S608 -- the lock
            if self.legacy_lists is not None:  # one row per document and list: replaced by this table
                c.execute(f"DROP TABLE IF EXISTS {self.legacy_lists}")
            c.execute(f"SELECT key FROM {self.lists} LIMIT 1")  # noqa: S608
            if c.fetchone() is not None:
                return
            c.execute(f"SELECT key FROM {self.docs} WHERE view = {self.mark} LIMIT 1", (customers.VIEW,))  # noqa: S608
            if c.fetchone() is None:
                self._fill_customers(c)
            views = sorted(FED_BY)
            c.execute(
                f"SELECT DISTINCT customer_id FROM {self.docs} WHERE view IN ({self._marks(len(views))})",  # noqa: S608
                views,
            )
            owners = sorted(r["customer_id"] for r in c.fetchall())
            for chunk in chunks(owners, 5000):  # whole customers at a time, in flat memory
                c.execute(
                    f"SELECT view, key, body FROM {self.docs} WHERE view IN ({self._marks(len(views))}) "  # noqa: S608
                    f"AND customer_id IN ({self._marks(len(chunk))})",
                    [*views, *chunk],
                )
                self._insert_rows(c, [row for r in c.fetchall() for row in list_rows(r["view"], r["key"], load_doc(r["body"]))])

    def _fill_customers(self, c: Any) -> None:
        """The customers' documents, folded from the customer touchpoints of the journey."""
        c.execute(
            f"SELECT customer_id, body FROM {self.entries} WHERE body LIKE {self.mark} ORDER BY position",  # noqa: S608
            ('%"type":"Customer.%',),
        )
        docs: dict[str, Doc] = {}
        for r in c.fetchall():
            entry = load_doc(r["body"])
            doc = customers.apply(docs.get(r["customer_id"]), entry["type"], entry["data"], entry["position"])
            if doc is not None:
                docs[r["customer_id"]] = doc
        if docs:
            c.executemany(
                f"INSERT INTO {self.docs} VALUES ({self._marks(5)}) ON CONFLICT (key, view) DO NOTHING",  # noqa: S608
                [(customers.VIEW, aggregate_id("customer", cid).hex, cid, d["kind"], _dumps(d)) for cid, d in docs.items()],
            )

    def _docs_of_customers(self, c: Any, view: str, owners: list[str], kind: str | None = None) -> list[tuple[str, str, Doc]]:
        """The documents of ``view`` (of ``kind``) of the customers ``owners``."""
        found: list[tuple[str, str, Doc]] = []
        for chunk in chunks(owners):
            extra, params = (f" AND kind = {self.mark}", [kind]) if kind else ("", [])
            c.execute(
                f"SELECT key, body FROM {self.docs} WHERE view = {self.mark}{extra} "  # noqa: S608
                f"AND customer_id IN ({self._marks(len(chunk))}) ORDER BY key",
                [view, *params, *chunk],
            )
            found += [(view, r["key"], load_doc(r["body"])) for r in c.fetchall()]
        return found

    def _page_sql(self, query: ListQuery) -> tuple[str, list[Any]]:
        clauses: list[str] = [f"list = {self.mark}"]
        params: list[Any] = [query.list]
        for value, condition in (
            (query.after, "sort_key >"), (query.sort_from, "sort_key >="), (query.sort_before, "sort_key <"),
            (query.tag, "tag ="), (query.min_amount, "amount >="),
        ):
            if value is not None:
                clauses.append(f"{condition} {self.mark}")
                params.append(value)
        if query.text:
            alternatives = [f"search LIKE {self.mark} ESCAPE '\\'", f"sort_key LIKE {self.mark} ESCAPE '\\'"]
            params += [f"%{_like(query.text)}%", f"{_like(query.text)}%"]
            if query.digits:
                alternatives.append(f"tag LIKE {self.mark} ESCAPE '\\'")
                params.append(f"%{query.digits}%")
            clauses.append(f"({' OR '.join(alternatives)})")
        return (
            f"SELECT {_COLUMNS} FROM {self.lists} WHERE {' AND '.join(clauses)} "  # noqa: S608
            f"ORDER BY sort_key LIMIT {self.mark}"
        ), params

    def _totals(self, c: Any, query: ListQuery) -> list[Total]:
        bands = " ".join(f"WHEN day >= {self.mark} THEN {i}" for i in range(len(query.bands)))
        c.execute(
            f"SELECT currency, CASE {bands} ELSE {len(query.bands)} END AS band, SUM(amount) AS amount, "  # noqa: S608
            f"COUNT(*) AS n FROM {self.lists} WHERE list = {self.mark} GROUP BY currency, band ORDER BY band, currency",
            [*query.bands, query.list],
        )
        return [Total(int(r["band"]), r["currency"], int(r["amount"]), int(r["n"])) for r in c.fetchall()]

    def _counts(self, c: Any, list_name: str, tag_prefix: str) -> list[Count]:
        c.execute(
            f"SELECT tag, search, COUNT(*) AS n FROM {self.lists} WHERE list = {self.mark} "  # noqa: S608
            f"AND tag >= {self.mark} AND tag < {self.mark} GROUP BY tag, search ORDER BY tag, search",
            [list_name, tag_prefix, f"{tag_prefix}\U0010ffff"],
        )
        return [Count(r["tag"], r["search"], int(r["n"])) for r in c.fetchall()]

    def read_counts(self, application_name: str, list_name: str, tag_prefix: str = "") -> tuple[int, list[Count]]:
        """In one snapshot, its position and the rows of ``list_name`` counted per tag and
        search, of the tags starting with ``tag_prefix``."""
        with self.datastore.transaction(commit=False) as c:
            self._begin_snapshot(c)
            return self._position_in(c, application_name), self._counts(c, list_name, tag_prefix)

    def read_list(self, application_name: str, query: ListQuery, limit: int) -> ListPage:
        """See ``ReadStore.read_list``."""
        source = SOURCES[query.list]
        with self.datastore.transaction(commit=False) as c:
            self._begin_snapshot(c)
            position = self._position_in(c, application_name)
            sql, params = self._page_sql(query)
            c.execute(sql, [*params, limit + 1])
            rows = [ListRow(**{name: r[name] for name in _COLUMNS.split(", ")}) for r in c.fetchall()]
            more, rows = len(rows) > limit, rows[:limit]
            docs: list[tuple[str, str, Doc]] = []
            if rows:
                keys = [r.key for r in rows]
                c.execute(
                    f"SELECT key, body FROM {self.docs} WHERE view = {self.mark} "  # noqa: S608
                    f"AND key IN ({self._marks(len(keys))})",
                    [source, *keys],
                )
                docs = [(source, r["key"], load_doc(r["body"])) for r in c.fetchall()]
                owners = sorted({r.customer_id for r in rows})
                if source != customers.VIEW:
                    docs += self._docs_of_customers(c, customers.VIEW, owners)
                if source == billing.VIEW:
                    docs += self._docs_of_customers(c, billing.VIEW, owners, "complaint")
            totals = self._totals(c, query) if query.bands else []
            counts = [] if query.count_tags is None else self._counts(c, query.list, query.count_tags)
        return ListPage(Snapshot(position, docs, []), rows, rows[-1].sort_key if more else None, totals, counts)

    def read_document(self, application_name: str, view: str, key: str, views: tuple[str, ...]) -> Snapshot:
        """See ``ReadStore.read_document``."""
        with self.datastore.transaction(commit=False) as c:
            self._begin_snapshot(c)
            position = self._position_in(c, application_name)
            c.execute(
                f"SELECT customer_id FROM {self.docs} WHERE key = {self.mark} AND view = {self.mark}",  # noqa: S608
                (key, view),
            )
            row = c.fetchone()
            if row is None:
                return Snapshot(position, [], [])
            wanted = sorted({view, *views})
            c.execute(
                f"SELECT view, key, body FROM {self.docs} WHERE customer_id = {self.mark} "  # noqa: S608
                f"AND view IN ({self._marks(len(wanted))}) ORDER BY key, view",
                [row["customer_id"], *wanted],
            )
            return Snapshot(position, [(r["view"], r["key"], load_doc(r["body"])) for r in c.fetchall()], [])
