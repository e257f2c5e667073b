"""Rebuild the views from the stream without downtime, and diff rebuilt views with the live ones.

``rebuild`` folds the whole stream, a page per transaction, into scratch tables beside the live
views (adapters/rebuild_tables.py), then switches them in, in one transaction that locks the live
tracking row: the events the live projector applied meanwhile are folded in first, so none is
lost, and the live projector continues from where the new tables stand. Reads answer from the old
tables until the switch commits. An interrupted rebuild leaves its scratch tables and their own
tracking position: run again, it resumes there; ``discard`` drops them.

``rebuild(view=...)`` rebuilds one view alone (after a fix to its projection): only its mapper
folds, never past the live views' position, and the switch replaces that view's rows (its
documents and the entries, candidates and list rows derived from them) in one transaction, so
every view still answers at one position.

``diff_views`` builds the views again in scratch tables up to the live position and compares
them with the live tables row by row (``journey verify``).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from adapters.rebuild_tables import ScratchTables, existing, scratch_store
from adapters.view_diff import Comparison, compare_at_one_position
from projections.batch import Fold, Positioned
from projections.views import VIEWS, fold, fold_of
from services.bootstrap import Journey
from services.journey import JourneyApplication

#: Events per transaction while rebuilding (memory stays within a page's documents).
PAGE_SIZE = 5000
REBUILD = "rebuild"
VERIFY = "verify"
#: Differing keys a diff names at most.
SHOWN = 20
#: Times a diff catches up with live views that moved on before it gives up.
ATTEMPTS = 20

Advance = Callable[[int], None]
#: Allocations between the collector's young passes while folding (Python's default: 700). A
#: page of events allocates hundreds of thousands of containers, nearly all freed by reference
#: counting; with the default, each page promotes them and sets off full passes over the heap.
YOUNG_THRESHOLD = 200_000
_collector = threading.Lock()
_folding = 0
_saved: tuple[int, ...] = ()


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the body with the cyclic garbage collector passing less often: the objects alive on
    entry (modules, the application) are frozen out of its passes, and young passes come every
    ``YOUNG_THRESHOLD`` allocations. Cycles are still collected; the settings come back on exit
    (when the last of concurrent bodies exits)."""
    global _folding, _saved  # noqa: PLW0603 -- the process's one collector
    with _collector:
        if _folding == 0:
            _saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(YOUNG_THRESHOLD, *_saved[1:])
        _folding += 1
    try:
        yield
    finally:
        with _collector:
            _folding -= 1
            if _folding == 0:
                gc.set_threshold(*_saved)
                gc.unfreeze()


class RebuildRefusedError(Exception):
    """The views cannot be rebuilt (or diffed) here: they are fed from Kafka."""


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild did: whether it switched the new tables in, the position they reflect,
    the events folded by this run, and where it resumed a partial rebuild (None: from scratch)."""

    switched: bool
    position: int
    events: int
    resumed_from: int | None


@dataclass(frozen=True)
class ViewDiff:
    """Rebuilt views compared with the live ones at one position: ``ok`` when every row is
    equal; the rows checked; the first differing keys; the smallest position involved where
    the rows carry one (journey entries; None for documents and list rows)."""

    ok: bool
    position: int
    rows: int
    differences: tuple[str, ...]
    first_position: int | None


def _refuse_kafka(journey: Journey) -> None:
    if journey.settings.projector_source == "kafka":
        raise RebuildRefusedError(
            "the views are fed from Kafka (JOURNEY_PROJECTOR_SOURCE=kafka): rebuild them from a new "
            "events topic instead (see docs/architecture.md)"
        )


def pages(app: JourneyApplication, after: int, up_to: int | None, size: int) -> Iterator[list[Positioned]]:
    """The stored events after ``after`` (up to ``up_to`` when given), decoded, a page at a time."""
    decode = app.mapper.to_domain_events
    while up_to is None or after < up_to:
        page = app.recorder.select_notifications(start=after, limit=size, stop=up_to, inclusive_of_start=False)
        if not page:
            return
        yield list(zip(decode(page), (n.id for n in page), strict=True))
        after = page[-1].id


def _fill(  # noqa: PLR0913 -- the run's settings, passed through
    app: JourneyApplication, scratch: ScratchTables, up_to: int | None, size: int, advance: Advance,
    stopping: Callable[[], bool], folding: Fold = fold,
) -> tuple[int, int, bool]:
    """Fold the stream into ``scratch`` from its own position (with ``folding``); returns
    (position, events, stopped)."""
    store: Any = scratch
    name = scratch.tracked_as(app.name)
    position, done = store.position(name), 0
    for events in pages(app, position, up_to, size):
        position = store.project(name, events, folding, events[-1][1])
        done += len(events)
        advance(len(events))
        if stopping():
            return position, done, True
    return position, done, False


def _scratch_name(view: str | None) -> str:
    """The scratch tables' name of a rebuild of every view (None) or of ``view`` alone."""
    if view is None:
        return REBUILD
    if view not in VIEWS:
        raise RebuildRefusedError(f"unknown view {view!r}: one of {', '.join(VIEWS)}")
    return f"{REBUILD}_{view}"


def partial_rebuild(journey: Journey, view: str | None = None) -> int | None:
    """The position a partial rebuild (of every view, or of ``view``) got to, or None when
    there is none."""
    name = _scratch_name(view)
    if not existing(journey.store, name):
        return None
    scratch: Any = scratch_store(journey.store, name)
    return scratch.position(scratch.tracked_as(journey.service.app.name))


def discard(journey: Journey, view: str | None = None) -> int | None:
    """Drop a partial rebuild's tables; returns the position it had reached (None: none)."""
    position = partial_rebuild(journey, view)
    if position is not None:
        scratch_store(journey.store, _scratch_name(view)).drop()
    return position


def rebuild(
    journey: Journey,
    *,
    view: str | None = None,
    page_size: int = PAGE_SIZE,
    advance: Advance = lambda _: None,
    stopping: Callable[[], bool] = lambda: False,
) -> Rebuilt:
    """Build every view (or ``view`` alone) from the stream into new tables (resuming a partial
    rebuild's tables when they exist), then switch them in atomically. ``advance(n)`` is called
    with the events of each page folded; ``stopping()`` is asked after each page: when it
    answers True the rebuild stops there, leaving its tables to resume (``switched`` False)."""
    _refuse_kafka(journey)
    name = _scratch_name(view)
    with fewer_collections():
        if view is None:
            return _rebuild(journey, page_size, advance, stopping)
        return _rebuild_view(journey, view, name, page_size, advance, stopping)


def _rebuild(journey: Journey, page_size: int, advance: Advance, stopping: Callable[[], bool]) -> Rebuilt:
    app, live = journey.service.app, journey.store
    resumed = partial_rebuild(journey)
    scratch = scratch_store(live, REBUILD)
    position, events, stopped = _fill(app, scratch, None, page_size, advance, stopping)
    if stopped:
        return Rebuilt(False, position, events, resumed)
    analyze = getattr(scratch, "analyze", None)
    if analyze is not None:
        analyze()
    # Catch up once more outside the switch, so that the switch folds only the last few events.
    position, more, _ = _fill(app, scratch, None, page_size, advance, lambda: False)
    reached = scratch.swap(live, app.name, lambda after, up_to: pages(app, after, up_to, page_size), fold)
    journey.reads.progress.advanced(reached)  # readers waiting in this process learn the position
    return Rebuilt(True, reached, events + more, resumed)


def _rebuild_view(  # noqa: PLR0913 -- the run's settings, passed through
    journey: Journey, view: str, name: str, page_size: int, advance: Advance, stopping: Callable[[], bool],
) -> Rebuilt:
    """One view: its new tables never go past the live views' position (every view answers at
    one position), and the switch replaces that view's rows only, in one transaction."""
    app, live = journey.service.app, journey.store
    resumed = partial_rebuild(journey, view)
    scratch = scratch_store(live, name)
    folding = fold_of(view)
    position, events, stopped = _fill(app, scratch, live.position(app.name), page_size, advance, stopping, folding)
    if stopped:
        return Rebuilt(False, position, events, resumed)
    position, more, _ = _fill(app, scratch, live.position(app.name), page_size, advance, lambda: False, folding)
    reached = scratch.swap_view(live, app.name, lambda after, up_to: pages(app, after, up_to, page_size), folding,
                                view)
    return Rebuilt(True, reached, events + more, resumed)


def diff_views(journey: Journey, advance: Advance | None = None, *, page_size: int = PAGE_SIZE) -> ViewDiff:
    """Rebuild every view in scratch tables up to the live views' position and compare them
    with the live tables row by row (documents, journey entries, dunning candidates, list rows),
    in one snapshot of both; the scratch tables are dropped afterwards. Live views that move on
    meanwhile are followed: the scratch tables are caught up to the position the comparing
    snapshot reflects."""
    _refuse_kafka(journey)
    app, live = journey.service.app, journey.store
    target = live.position(app.name)
    if existing(live, VERIFY):  # left by an interrupted run
        scratch_store(live, VERIFY).drop()
    scratch = scratch_store(live, VERIFY)
    try:
        with fewer_collections():
            _fill(app, scratch, target, page_size, advance or (lambda _: None), lambda: False)
        for _ in range(ATTEMPTS):
            found = compare_at_one_position(live, scratch, app.name, scratch.tracked_as(app.name), SHOWN)
            if isinstance(found, Comparison):
                return _diff(found)
            _fill(app, scratch, found, page_size, lambda _: None, lambda: False)
        raise RuntimeError(f"the live views kept moving: no snapshot matched within {ATTEMPTS} attempts")
    finally:
        scratch.drop()


def _diff(found: Comparison) -> ViewDiff:
    differences = [f"{table} {'/'.join(map(str, key))}" for table, keys in found.differing.items() for key in keys]
    entries = found.differing.get("entries") or []
    return ViewDiff(
        ok=not any(found.counts.values()), position=found.position, rows=found.rows,
        differences=tuple(differences[:SHOWN]), first_position=min((k[0] for k in entries), default=None),
    )
