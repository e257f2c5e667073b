"""Where the time of a profiled run goes: ``python -m bench.profile FILE.prof [...]``.

Profiles come from ``BENCH_PROFILE_DIR=dir make bench`` (or ``python -m bench.worker ...
--profile FILE``). Prints the cumulative time of the parts that matter for ingest and catch-up,
as a share of the measured calls, then the functions with the most own time. cProfile slows
pure-Python code more than I/O, so read the shares, not the absolute seconds.
"""

from __future__ import annotations

import pstats
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = f"{Path(__file__).resolve().parents[1]}/"  # shown paths are relative to the project

Key = tuple[str, int, str]

#: (file suffix, function, label); suffix "~" matches C functions by name.
PARTS: tuple[tuple[str, str, str], ...] = (
    ("services/journey.py", "ingest", "JourneyService.ingest"),
    ("services/unit_of_work.py", "find", "UnitOfWork.find -> repository.get (1 SELECT + replay each)"),
    ("functools.py", "wrapper", "handle(command) (singledispatch; includes its finds)"),
    ("eventsourcing/application.py", "save", "Application.save"),
    ("eventsourcing/application.py", "collect_events", "  Application.save: collect_events"),
    ("eventsourcing/persistence.py", "to_stored_event", "  mapper.to_stored_event (JSON encode)"),
    ("eventsourcing/sqlite.py", "insert_events", "  SQLite insert_events"),
    ("eventsourcing/postgres.py", "insert_events", "  PostgreSQL insert_events"),
    ("services/projector.py", "catch_up", "Projector.catch_up"),
    ("eventsourcing/sqlite.py", "select_notifications", "recorder.select_notifications"),
    ("eventsourcing/postgres.py", "select_notifications", "recorder.select_notifications"),
    ("eventsourcing/persistence.py", "to_domain_event", "mapper.to_domain_event (JSON decode)"),
    ("adapters/read_store.py", "project", "ReadStore.project (1 transaction per call)"),
    ("projections/views.py", "fold", "  fold (3 mappers, no I/O)"),
    ("projections/journey.py", "project", "    journey.project"),
    ("projections/billing.py", "project", "    billing.project"),
    ("projections/support.py", "project", "    support.project"),
    ("projections/encoding.py", "actor", "    encoding.actor (dataclasses.asdict)"),
    ("projections/encoding.py", "payload", "    encoding.payload"),
    ("adapters/read_store.py", "_doc_rows", "  _doc_rows (json encode)"),
    ("adapters/read_store.py", "_entry_rows", "  _entry_rows (json encode)"),
    ("~", "<method 'fetchall' of 'sqlite3.Cursor' objects>", "  sqlite3 fetchall"),
    ("~", "<method 'executemany' of 'sqlite3.Cursor' objects>", "  sqlite3 executemany"),
    ("~", "<method 'commit' of 'sqlite3.Connection' objects>", "  sqlite3 commit"),
    ("psycopg/connection.py", "wait", "psycopg waiting on the server (all queries)"),
)

#: For UnitOfWork.find: which caller asked (cumulative time per caller).
FIND_CALLERS = {
    ("services/requests.py", "decide"): "  find from decide: aggregates a touchpoint needs",
    ("services/unit_of_work.py", "check_new"): "  find from check_new: new ids must not exist",
    ("services/unit_of_work.py", "get"): "  find from get: aggregates a command changes",
}


def _match(key: Key, suffix: str, name: str) -> bool:
    return key[2] == name and (key[0] == "~" if suffix == "~" else key[0].endswith(suffix))


def _find(stats: dict, suffix: str, name: str) -> Iterator[tuple[Key, tuple]]:
    return ((k, v) for k, v in stats.items() if _match(k, suffix, name))


def summary(path: str, top: int = 12) -> str:
    stats = pstats.Stats(path).stats  # type: ignore[attr-defined]
    root = [v[3] for _, v in _find(stats, "bench/worker.py", "__call__")]
    total = sum(root) or max(v[3] for v in stats.values())
    lines = [f"{path}: measured calls {total:.2f} s (profiled)", f"  {'part':<62} {'s':>7} {'share':>6}"]
    seen: set[str] = set()
    for suffix, name, label in PARTS:
        found = list(_find(stats, suffix, name))
        cum = sum(v[3] for _, v in found)
        if not found or cum < 0.005 or label in seen:
            continue
        seen.add(label)
        lines.append(f"  {label:<62} {cum:7.2f} {cum / total:6.1%}")
        if name == "find":
            for _, v in found:
                for caller, cv in v[4].items():
                    for (csuffix, cname), clabel in FIND_CALLERS.items():
                        if _match(caller, csuffix, cname):
                            lines.append(f"  {clabel:<62} {cv[3]:7.2f} {cv[3] / total:6.1%}")
    lines.append(f"  top {top} by own time:")
    for key, v in sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]:
        where = key[2] if key[0] == "~" else f"{key[0].split('site-packages/')[-1].removeprefix(ROOT)}:{key[1]}({key[2]})"
        lines.append(f"    {v[2]:6.2f} s {v[2] / total:6.1%}  {where}")
    return "\n".join(lines)



def main(argv: list[str] | None = None) -> None:
    for path in argv if argv is not None else sys.argv[1:]:
        print(summary(path))
        print()


if __name__ == "__main__":
    main()
