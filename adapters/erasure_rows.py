"""The read store's part in erasing a person: load every document and journey entry of the
customers a batch erases (projections.erasure scrubs them), write the scrubbed entries back,
and remove what the database files still hold of the rows before they were scrubbed.

SQLite: every projecting transaction deletes with ``secure_delete`` (freed bytes are zeroed, so
an older version of a document is not left in a free page or block); ``purge`` truncates the
write-ahead log. PostgreSQL: an UPDATE leaves the old row version as a dead tuple, and plain
VACUUM marks its space free without overwriting it; ``purge`` runs ``VACUUM FULL`` on the view
tables, which writes them afresh (and holds an exclusive lock on each while it runs).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from adapters.data_keys import postgres_vacuum_full, sqlite_checkpoint
from adapters.documents import load_doc
from projections.batch import Batch, Positioned
from projections.erasure import erased_customers

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class ErasureRows:
    """Mixed into the read store (adapters.read_store.ViewTables)."""

    mark: str
    docs: str
    entries: str
    lists: str
    candidates: str
    datastore: Any

    def _marks(self, n: int) -> str:
        return ", ".join([self.mark] * n)

    def _load_erased(self, c: Any, batch: Batch, events: Sequence[Positioned]) -> None:
        """Put every document and stored journey entry of the customers ``events`` erase into
        ``batch``."""
        erased = sorted(erased_customers(events))
        if not erased:
            return
        marks = self._marks(len(erased))
        c.execute(f"SELECT view, key, body FROM {self.docs} WHERE customer_id IN ({marks})", erased)  # noqa: S608
        for r in c.fetchall():
            batch.docs.setdefault((r["view"], r["key"]), load_doc(r["body"]))
        c.execute(
            f"SELECT position, customer_id, body FROM {self.entries} WHERE customer_id IN ({marks}) "  # noqa: S608
            "ORDER BY position",
            erased,
        )
        for r in c.fetchall():
            batch.stored_entries.setdefault(r["customer_id"], []).append((r["position"], load_doc(r["body"])))

    def _write_rewritten(self, c: Any, batch: Batch) -> None:
        if batch.rewritten:
            c.executemany(
                f"UPDATE {self.entries} SET body = {self.mark} WHERE position = {self.mark}",  # noqa: S608
                [(_dumps(entry), position) for position, (_, entry) in sorted(batch.rewritten.items())],
            )

    def purge_erased(self) -> None:
        """Remove from the database files what they hold of rows as they were before a scrub."""
        if self.mark == "?":
            sqlite_checkpoint(self.datastore)
        else:
            postgres_vacuum_full(self.datastore, [self.docs, self.entries, self.lists, self.candidates])
