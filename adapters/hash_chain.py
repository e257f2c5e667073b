"""The hash chain's table beside the events table, on SQLite and PostgreSQL (see domain/chain.py
for what is hashed, and docs/adr/0014-hash-chain.md for why).

``journey_chain (position, hash)`` holds one SHA-256 per stored event, keyed by its position
(notification id). The recorders of adapters/write_store.py mix ``ChainTable`` in and call
``_extend_chain`` inside the append's transaction, after the insert returned the positions and
while the appends are serialised (PostgreSQL: the events table's lock; SQLite: the write
transaction), so a chain row commits or rolls back with its event and follows commit order.

The chain is extended only when it reaches the event just before the new ones. A store written
before the chain existed has events without chain rows: new events are then not chained either
(said once in the log) until ``seal_chain`` has chained the existing prefix (``journey chain
--seal``); verify reports such events meanwhile.

``journey_verifications`` keeps each verification's report (JSON), the last one cheap to read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import StoredEvent

from domain.chain import ZERO, Walk, canonical, extend, walk

CHAIN = "journey_chain"
VERIFICATIONS = "journey_verifications"
#: Rows per page when walking or sealing: memory stays constant whatever the stream's length.
PAGE = 10_000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChainHead:
    """The newest chain row: its position and hash."""

    position: int
    hash: bytes


class ChainTable:
    """The chain and verification tables, mixed into the journey recorders (which give
    ``mark``, ``position_column``, ``datastore`` and ``_events_table``)."""

    chain_table = CHAIN
    verifications_table = VERIFICATIONS
    mark: str
    position_column: str
    datastore: Any
    _lagging_said = False

    def _events_table(self) -> str:
        raise NotImplementedError

    def _lock_chain(self, curs: Any) -> None:
        """Serialise with the appends (the events table's lock; SQLite: the write lock)."""
        raise NotImplementedError

    def _insert_links(self, curs: Any, links: list[tuple[int, bytes]]) -> None:
        curs.executemany(f"INSERT INTO {self.chain_table} VALUES ({self.mark}, {self.mark})", links)  # noqa: S608

    def _last_link_and_predecessor(self, curs: Any, first: int) -> tuple[int | None, bytes | None, int | None]:
        curs.execute(
            f"SELECT (SELECT MAX({self.position_column}) FROM {self._events_table()} "  # noqa: S608
            f"WHERE {self.position_column} < {self.mark}) AS before, "
            f"(SELECT position FROM {self.chain_table} ORDER BY position DESC LIMIT 1) AS position, "
            f"(SELECT hash FROM {self.chain_table} ORDER BY position DESC LIMIT 1) AS hash",
            (first,),
        )
        row = curs.fetchone()
        return row["position"], (None if row["hash"] is None else bytes(row["hash"])), row["before"]

    def _extend_chain(self, curs: Any, stored_events: Sequence[StoredEvent], positions: Sequence[int]) -> None:
        """Chain the events just inserted at ``positions``, in the append's transaction."""
        if not positions:
            return
        last, previous, before = self._last_link_and_predecessor(curs, min(positions))
        if last != before:
            if not self._lagging_said:
                log.warning("the hash chain stops at position %s: new events are not chained until "
                            "`journey chain --seal` chains the events stored before it", last or 0)
                self._lagging_said = True
            return
        pairs = sorted(zip(positions, stored_events, strict=True), key=lambda pair: pair[0])
        self._insert_links(curs, extend(previous or ZERO, [
            (p, canonical(e.originator_id, e.originator_version, e.topic, e.state)) for p, e in pairs
        ]))

    def chain_head(self) -> ChainHead | None:
        """The newest chain row, or None when nothing is chained."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(f"SELECT position, hash FROM {self.chain_table} ORDER BY position DESC LIMIT 1")  # noqa: S608
            row = curs.fetchone()
        return None if row is None else ChainHead(row["position"], bytes(row["hash"]))

    def chain_links(self, after: int, stop: int, limit: int = PAGE) -> list[tuple[int, bytes]]:
        """Chain rows with ``after < position <= stop``, in order, at most ``limit``."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                f"SELECT position, hash FROM {self.chain_table} WHERE position > {self.mark} "  # noqa: S608
                f"AND position <= {self.mark} ORDER BY position LIMIT {self.mark}",
                (after, stop, limit),
            )
            return [(row["position"], bytes(row["hash"])) for row in curs.fetchall()]

    def canonical_events(self, after: int, stop: int, limit: int = PAGE) -> list[tuple[int, bytes]]:
        """``(position, canonical bytes)`` of the stored events with ``after < position <= stop``,
        read as the events table holds them, in order, at most ``limit``."""
        with self.datastore.transaction(commit=False) as curs:
            return self._canonical_events(curs, after, stop, limit)

    def _canonical_events(self, curs: Any, after: int, stop: int | None, limit: int) -> list[tuple[int, bytes]]:
        below = f"AND {self.position_column} <= {self.mark} " if stop is not None else ""
        curs.execute(
            f"SELECT {self.position_column} AS position, originator_id, originator_version, topic, state "  # noqa: S608
            f"FROM {self._events_table()} WHERE {self.position_column} > {self.mark} {below}"
            f"ORDER BY {self.position_column} LIMIT {self.mark}",
            (after, stop, limit) if stop is not None else (after, limit),
        )
        return [
            (row["position"], canonical(row["originator_id"], row["originator_version"], row["topic"], row["state"]))
            for row in curs.fetchall()
        ]

    def seal_chain(self, advance: Callable[[int], None] | None = None, page: int = PAGE) -> int:
        """Chain the stored events after the chain's last row (a store written before the chain
        existed, or a seal interrupted), a page per transaction under the appends' lock; the
        last page reaches the head, and appends extend the chain from then on. Returns the
        number of events chained."""
        chained = 0
        while True:
            with self.datastore.transaction(commit=True) as curs:
                self._lock_chain(curs)
                curs.execute(f"SELECT position, hash FROM {self.chain_table} ORDER BY position DESC LIMIT 1")  # noqa: S608
                row = curs.fetchone()
                last, previous = (0, ZERO) if row is None else (row["position"], bytes(row["hash"]))
                events = self._canonical_events(curs, last, None, page)
                if events:
                    self._insert_links(curs, extend(previous, events))
            chained += len(events)
            if advance is not None and events:
                advance(events[-1][0] - last)
            if len(events) < page:
                return chained

    def walk_chain(self, at: int | None = None, advance: Callable[[int], None] | None = None,
                   page: int = PAGE) -> Walk:
        """Recompute the chain from the stored events up to the head (as it is when the walk
        starts), page by page in constant memory, and compare it with the chain rows; ``at``:
        a position whose hash, recomputed from the events alone, the walk keeps (a checkpoint's).
        ``advance(n)`` is called with the positions walked."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                f"SELECT (SELECT MAX({self.position_column}) FROM {self._events_table()}) AS events, "  # noqa: S608
                f"(SELECT MAX(position) FROM {self.chain_table}) AS links"
            )
            row = curs.fetchone()
        stop = max(row["events"] or 0, row["links"] or 0)

        def events() -> Iterator[tuple[int, bytes]]:
            done = 0
            for position, data in _paged(self.canonical_events, stop, page):
                if advance is not None and position - done >= page:
                    advance(position - done)
                    done = position
                yield position, data
            if advance is not None and stop > done:
                advance(stop - done)

        return walk(events(), _paged(self.chain_links, stop, page), at)

    def save_verification(self, at: str, ok: bool, report: str) -> None:
        """Keep a verification's report (JSON text)."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                f"INSERT INTO {self.verifications_table} (at, ok, report) "  # noqa: S608
                f"VALUES ({self.mark}, {self.mark}, {self.mark})",
                (at, ok, report),
            )

    def last_verification(self) -> str | None:
        """The last verification's report (JSON text), or None before the first."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(f"SELECT report FROM {self.verifications_table} ORDER BY id DESC LIMIT 1")  # noqa: S608
            row = curs.fetchone()
        return None if row is None else row["report"]


def _paged(fetch: Callable[[int, int, int], list[tuple[int, bytes]]], stop: int, page: int
           ) -> Iterator[tuple[int, bytes]]:
    after = 0
    while True:
        rows = fetch(after, stop, page)
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1][0]


def sqlite_chain_tables() -> list[str]:
    """SQLite's create statements of the chain and verification tables."""
    return [
        f"CREATE TABLE IF NOT EXISTS {CHAIN} (position INTEGER PRIMARY KEY, hash BLOB NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {VERIFICATIONS} (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT, "
        "ok INTEGER, report TEXT)",
    ]


def postgres_chain_tables(chain: str, verifications: str) -> list[str]:
    """PostgreSQL's create statements of the chain and verification tables (qualified names)."""
    return [
        f"CREATE TABLE IF NOT EXISTS {chain} (position bigint PRIMARY KEY, hash bytea NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {verifications} (id bigserial PRIMARY KEY, at text, ok boolean, report text)",
    ]
