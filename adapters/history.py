"""Reads of the stored stream for auditors: one customer's events up to a position, a page of the
stream, the event at a position, the position reached at a time.

A customer's aggregates (the customer, its orders, invoices, complaints) are found through the
read store's documents, which name each aggregate's customer; their events are then read by
originator id (the events table's primary key), so a past view costs the customer's events only,
never a walk over the stream. Events come back decoded by the application's mapper, exactly as
the projector sees them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

Positioned = tuple[Any, int]


class History:
    """The event store read by originator and position (``recorder`` is one of the journey's
    recorders, adapters.write_store; ``mapper`` the application's)."""

    def __init__(self, recorder: Any, mapper: Mapper[UUID]) -> None:
        self.recorder = recorder
        self.mapper = mapper

    def events_of(self, originator_ids: Iterable[UUID], upto: int | None = None) -> list[Positioned]:
        """The events of ``originator_ids`` at or before position ``upto`` (all when None), in
        stream order, each with its position."""
        r = self.recorder
        keys = [r._as_key(i) for i in originator_ids]  # noqa: SLF001 -- the recorder's own key form
        rows: list[Any] = []
        with r.datastore.transaction(commit=False) as curs:
            for chunk, marks in r._chunks(keys):  # noqa: SLF001
                bound = f" AND {r.position_column} <= {r.mark}" if upto is not None else ""
                curs.execute(
                    f"SELECT originator_id, originator_version, topic, state, {r.position_column} AS position "  # noqa: S608
                    f"FROM {r._events_table()} WHERE originator_id {marks}{bound}",  # noqa: SLF001
                    [*chunk, upto] if upto is not None else chunk,
                )
                rows += curs.fetchall()
        rows.sort(key=lambda row: row["position"])
        return [(self._decode(row), row["position"]) for row in rows]

    def _decode(self, row: Any) -> Any:
        return self.mapper.to_domain_event(StoredEvent(
            originator_id=UUID(str(row["originator_id"])), originator_version=row["originator_version"],
            topic=row["topic"], state=bytes(row["state"]),
        ))

    def page(self, start: int, limit: int, stop: int | None = None, topics: Sequence[str] = ()) -> list[Positioned]:
        """Up to ``limit`` events from position ``start`` (to ``stop``; of ``topics`` only when
        given), in stream order."""
        notes: Sequence[Any] = self.recorder.select_notifications(start, limit, stop, topics)
        return [(self.mapper.to_domain_event(n), n.id) for n in notes]

    def at(self, position: int) -> Any | None:
        """The event at ``position``, None when there is none (never written, or gone)."""
        found = self.page(position, 1, position)
        return found[0][0] if found else None

    def position_at(self, when: datetime, head: int) -> int:
        """The newest position recorded at or before ``when`` (0 when none): found by bisection
        on the events' recorded timestamps, which follow the positions (one writer appends at a
        time, each group stamped before it is appended)."""
        low, high = 0, head  # invariant: recorded(low) <= when (0: before the stream), answer <= high
        while low < high:
            middle = (low + high + 1) // 2
            found = self.page(middle, 1, high)
            if not found:
                high = middle - 1
                continue
            event, position = found[0]
            if event.timestamp <= when:
                low = position
            else:
                high = middle - 1
        return low


def aggregates_of(store: Any, customer_id: str) -> list[UUID]:
    """The ids of every aggregate of ``customer_id`` the views know (``store``: the read store's
    tables, adapters.read_store), read through the documents' customer index."""
    with store.datastore.transaction(commit=False) as c:
        c.execute(f"SELECT DISTINCT key FROM {store.docs} WHERE customer_id = {store.mark}", (customer_id,))  # noqa: S608
        return [UUID(row["key"]) for row in c.fetchall()]


def customers_of(store: Any, originator_ids: Iterable[UUID]) -> dict[UUID, str]:
    """The customer of each aggregate among ``originator_ids`` that the views know."""
    keys = list({i.hex for i in originator_ids})
    found: dict[UUID, str] = {}
    with store.datastore.transaction(commit=False) as c:
        for start in range(0, len(keys), 900):
            chunk = keys[start : start + 900]
            c.execute(
                f"SELECT DISTINCT key, customer_id FROM {store.docs} "  # noqa: S608
                f"WHERE key IN ({', '.join([store.mark] * len(chunk))})", chunk,
            )
            found |= {UUID(row["key"]): row["customer_id"] for row in c.fetchall()}
    return found
