"""Two read stores in one database compared row by row: rebuilt views against the live ones.

Every table is walked in key order a page at a time (a keyset walk on its primary key, flat
memory): the rebuilt rows are looked up in the live table and compared, parsed JSON bodies as
values; then the live keys are looked up in the rebuilt table to find rows only the live views
hold. Both walks run in one snapshot, which must show both stores at the same position.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from adapters.documents import load_doc
from adapters.read_store import ViewTables
from adapters.rebuild_tables import TABLES

Key = tuple[Any, ...]


@dataclass(frozen=True)
class Comparison:
    """Rows checked and, per table, how many keys differ (changed, missing or extra) and the
    first of them, sorted."""

    position: int
    rows: int
    counts: dict[str, int]
    differing: dict[str, list[Key]]


def _marks(store: Any, n: int) -> str:
    return ", ".join([store.mark] * n)


def _rows(c: Any, store: Any, table: str, after: Key | None, limit: int) -> list[dict[str, Any]]:
    columns = ", ".join(TABLES[table])
    where, params = "", []
    if after is not None:
        where, params = f"WHERE ({columns}) > ({_marks(store, len(after))}) ", list(after)
    c.execute(
        f"SELECT * FROM {getattr(store, table)} {where}ORDER BY {columns} LIMIT {store.mark}",  # noqa: S608
        [*params, limit],
    )
    return [dict(r) for r in c.fetchall()]


def walk(c: Any, store: Any, table: str, page: int = 2000) -> Iterator[list[dict[str, Any]]]:
    """Every row of ``store``'s ``table`` (an attribute named in TABLES) in key order, by pages."""
    after: Key | None = None
    while rows := _rows(c, store, table, after, page):
        yield rows
        after = tuple(rows[-1][col] for col in TABLES[table])


def rows_by_key(c: Any, store: Any, table: str, keys: list[Key]) -> dict[Key, dict[str, Any]]:
    """The rows of ``store``'s ``table`` with the given keys, by key."""
    columns = TABLES[table]
    found: dict[Key, dict[str, Any]] = {}
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        if len(columns) == 1:
            where = f"{columns[0]} IN ({_marks(store, len(chunk))})"
        else:
            values = ", ".join([f"({_marks(store, len(columns))})"] * len(chunk))
            where = f"({', '.join(columns)}) IN (VALUES {values})"
        c.execute(f"SELECT * FROM {getattr(store, table)} WHERE {where}", [v for k in chunk for v in k])  # noqa: S608
        for r in c.fetchall():
            row = dict(r)
            found[tuple(row[col] for col in columns)] = row
    return found


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    if row.get("body") is not None:
        return {**row, "body": load_doc(row["body"])}
    return row


def compare_table(c: Any, rebuilt: Any, live: Any, table: str, keep: int, page: int = 2000) -> tuple[int, int, list[Key]]:
    """Rows checked, how many keys differ in ``table`` and the first ``keep`` of them from each
    walk (so the smallest differing key is among them), in the snapshot of cursor ``c``."""
    columns = TABLES[table]
    checked, count, matched, differing = 0, 0, 0, []
    for rows in walk(c, rebuilt, table, page):
        checked += len(rows)
        found = rows_by_key(c, live, table, [tuple(r[col] for col in columns) for r in rows])
        for row in rows:
            key = tuple(row[col] for col in columns)
            other = found.get(key)
            matched += other is not None
            # The same text is the same value; only texts that differ are compared as JSON values.
            if other is None or (dict(other) != dict(row) and _decoded(other) != _decoded(row)):
                count += 1
                if count <= keep:
                    differing.append(key)
    extras = 0
    c.execute(f"SELECT COUNT(*) AS n FROM {getattr(live, table)}")  # noqa: S608
    if c.fetchone()["n"] == matched:  # every live row has its rebuilt twin: none is only live
        return checked, count, sorted(differing)
    for rows in walk(c, live, table, page):  # rows only the live views hold
        keys = [tuple(r[col] for col in columns) for r in rows]
        there = rows_by_key(c, rebuilt, table, keys)
        for key in keys:
            if key not in there:
                extras += 1
                if extras <= keep:
                    differing.append(key)
    return checked + extras, count + extras, sorted(differing)


def compare_at_one_position(
    live: ViewTables, rebuilt: Any, live_name: str, rebuilt_name: str, keep: int = 20
) -> Comparison | int:
    """In one snapshot: when ``rebuilt`` (tracked as ``rebuilt_name``) reflects the position of
    ``live`` (tracked as ``live_name``), their Comparison; else the live position to reach."""
    with live.datastore.transaction(commit=False) as c:
        live._begin_snapshot(c)  # noqa: SLF001
        now = live._position_in(c, live_name)  # noqa: SLF001
        if rebuilt._position_in(c, rebuilt_name) != now:  # noqa: SLF001
            return now
        rows, counts, differing = 0, {}, {}
        for table in TABLES:
            checked, counts[table], differing[table] = compare_table(c, rebuilt, live, table, keep)
            rows += checked
        return Comparison(now, rows, counts, differing)
