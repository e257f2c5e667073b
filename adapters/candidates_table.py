"""The dunning candidates table of the read store: written with the documents in ``project``'s
transaction, read a page at a time (``read_candidates``).

One row per invoice (``projections.candidates``): the next eligible day, the last step, and
whether only time holds it. A partial index on ``(next_eligible_on, last_dunning_on, key)``
keeps only the dunnable rows, so finding today's candidates scans the invoices eligible today
and never the settled, collected, held or not yet due ones.
"""

from __future__ import annotations

from typing import Any

from adapters.documents import load_doc
from projections import billing
from projections import customers as contacts
from projections.batch import Batch, Doc, Snapshot
from projections.candidates import CandidateRow, candidate_rows


class CandidatesTable:
    """A mixin of the read stores; they name ``candidates`` and ``candidates_index`` (a plan
    hint where a database needs one) and create the table and its index."""

    mark: str
    docs: str
    tracking: str
    candidates: str
    candidates_index: str
    datastore: Any
    _marks: Any
    _begin_snapshot: Any
    _position_in: Any
    _docs_of_customers: Any

    def _billing_docs(self, c: Any, customers: set[str], kind: str) -> dict[str, Doc]:
        """Billing's documents of ``kind`` of ``customers``, by key."""
        docs: dict[str, Doc] = {}
        ids = sorted(customers)
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            c.execute(
                f"SELECT key, body FROM {self.docs} WHERE view = {self.mark} AND kind = {self.mark} "  # noqa: S608
                f"AND customer_id IN ({self._marks(len(chunk))})",
                [billing.VIEW, kind, *chunk],
            )
            docs.update({r["key"]: load_doc(r["body"]) for r in c.fetchall()})
        return docs

    def _write_candidates(self, c: Any, batch: Batch) -> None:
        """Rewrite the candidates rows the batch changed: those of its changed invoices, and of
        every invoice of an order whose complaint changed. A row needs the complaints of its
        order, read from billing's documents (the batch's own where it holds them)."""
        dirty = {k: d for v, k, d in batch.dirty_docs() if v == billing.VIEW}
        if not dirty:
            return
        customers = {d["customer_id"] for d in dirty.values()}
        complained = {d["customer_id"] for d in dirty.values() if d["kind"] == "complaint"}
        docs = self._billing_docs(c, customers, "complaint")
        docs.update(self._billing_docs(c, complained, "invoice"))
        docs.update({k: d for (v, k), d in batch.docs.items() if v == billing.VIEW and d["customer_id"] in customers})
        orders = {d["order_id"] for d in dirty.values() if d["kind"] == "complaint"}
        rows = [
            r for r in candidate_rows(docs.items())
            if r.key in dirty or docs[r.key]["order_id"] in orders
        ]
        self._upsert_candidates(c, rows)

    def _upsert_candidates(self, c: Any, rows: list[CandidateRow]) -> None:
        if rows:
            c.executemany(
                f"INSERT INTO {self.candidates} VALUES ({self._marks(6)}) ON CONFLICT (key) DO UPDATE SET "  # noqa: S608
                "customer_id = excluded.customer_id, invoice_id = excluded.invoice_id, "
                "next_eligible_on = excluded.next_eligible_on, last_dunning_on = excluded.last_dunning_on, "
                "dunnable = excluded.dunnable",
                [(r.key, r.customer_id, r.invoice_id, r.next_eligible_on, r.last_dunning_on, r.dunnable) for r in rows],
            )

    def create_table(self) -> None:
        super().create_table()  # type: ignore[misc]
        self._fill_candidates()

    def _fill_candidates(self) -> None:
        """Fill an empty candidates table from the billing documents of a read store projected
        before the table existed; serialised with projectors by the tracking rows' lock."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"UPDATE {self.tracking} SET notification_id = notification_id")  # noqa: S608 -- the lock
            c.execute(f"SELECT key FROM {self.candidates} LIMIT 1")  # noqa: S608
            if c.fetchone() is not None:
                return
            c.execute(
                f"SELECT DISTINCT customer_id FROM {self.docs} WHERE view = {self.mark} AND kind = {self.mark}",  # noqa: S608
                (billing.VIEW, "invoice"),
            )
            customers = sorted({r["customer_id"] for r in c.fetchall()})
            for start in range(0, len(customers), 5000):  # whole customers at a time, in flat memory
                chunk = set(customers[start : start + 5000])
                docs = {**self._billing_docs(c, chunk, "invoice"), **self._billing_docs(c, chunk, "complaint")}
                self._upsert_candidates(c, candidate_rows(docs.items()))

    @property
    def candidates_query(self) -> str:
        """Keys of dunnable invoices eligible on a day, last dunned by a day, after a key."""
        return (
            f"SELECT key FROM {self.candidates}{self.candidates_index} "  # noqa: S608
            f"WHERE dunnable = TRUE AND next_eligible_on <= {self.mark} "
            f"AND (last_dunning_on IS NULL OR last_dunning_on <= {self.mark}) AND key > {self.mark} "
            f"ORDER BY key LIMIT {self.mark}"
        )

    def read_candidates(
        self, application_name: str, eligible_on: str, dunned_by: str, after: str | None, limit: int
    ) -> tuple[Snapshot, str | None]:
        """See ``ReadStore.read_candidates``."""
        with self.datastore.transaction(commit=False) as c:
            self._begin_snapshot(c)
            position = self._position_in(c, application_name)
            # The index range of rows eligible today, sorted by key: one more tells if more follow.
            c.execute(self.candidates_query, (eligible_on, dunned_by, after or "", limit + 1))
            keys = [r["key"] for r in c.fetchall()]
            more, keys = len(keys) > limit, keys[:limit]
            invoices: list[tuple[str, str, Doc]] = []
            complaints: list[tuple[str, str, Doc]] = []
            if keys:
                c.execute(
                    f"SELECT key, body FROM {self.docs} WHERE view = {self.mark} "  # noqa: S608
                    f"AND key IN ({self._marks(len(keys))}) ORDER BY key",
                    [billing.VIEW, *keys],
                )
                invoices = [(billing.VIEW, r["key"], load_doc(r["body"])) for r in c.fetchall()]
                customers = sorted({d["customer_id"] for _, _, d in invoices})
                c.execute(
                    f"SELECT key, body FROM {self.docs} WHERE view = {self.mark} AND kind = {self.mark} "  # noqa: S608
                    f"AND customer_id IN ({self._marks(len(customers))}) ORDER BY key",
                    [billing.VIEW, "complaint", *customers],
                )
                complaints = [(billing.VIEW, r["key"], load_doc(r["body"])) for r in c.fetchall()]
                complaints += self._docs_of_customers(c, contacts.VIEW, customers)
        return Snapshot(position, invoices + complaints, []), (keys[-1] if more else None)
