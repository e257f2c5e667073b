"""Group commit: one writer thread per process stores, in one transaction, every write that
arrived while the previous transaction committed.

Each request is decided in turn inside one unit of work; a request that breaks a rule is rolled
back to its savepoint and answered with its error, the others go on. The group is appended with
an append condition (the head it was decided against) while this process holds the store's
writer lock; a collision with another writer (another process, a lost lock) reloads, re-decides
and retries the whole group, bounded; only a lasting conflict answers ``ContentionError``.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Any, Protocol, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, PersistenceError

from adapters.write_store import StoredKey
from adapters.writer_lock import LockTimeoutError, WriterLock
from services.unit_of_work import SideTables, UnitOfWork

log = logging.getLogger(__name__)

Positions = dict[tuple[UUID, int], int]


class ContentionError(Exception):
    """The write kept colliding with other writers; nothing was stored. Retry later."""


class WriteRequest(Protocol):
    """One client's write: decided in a shared unit of work, answered after the commit."""

    @property
    def size(self) -> int:
        """How many touchpoints the request stores at most (a group holds ``max_group``)."""
        ...

    def prefetch(self) -> list[tuple[str, str]]:
        """The idempotency keys ``(scope, key)`` this request may find stored."""
        ...

    def creates(self) -> list[UUID]:
        """The ids of the aggregates this request would create."""
        ...

    def decide(self, uow: UnitOfWork, group: Group) -> Callable[[Positions], Any]:
        """Record this request's events in ``uow``; return how to answer once they are stored.
        Raises the error to answer when the request is refused (the unit is rolled back)."""
        ...


@dataclass
class Group:
    """What every request of a group shares: the stored idempotency keys found for it."""

    stored_keys: dict[tuple[str, str], StoredKey] = field(default_factory=dict)


@dataclass
class _Queued:
    request: WriteRequest
    future: Future[Any]


class GroupWriter:
    """The process's single writer. ``submit`` enqueues a request and returns its Future."""

    def __init__(
        self,
        app: Application,
        lock: WriterLock,
        *,
        prepare: Callable[[UnitOfWork, Sequence[WriteRequest], Group], None],
        on_written: Callable[[], None],
        max_group: int = 5000,
        max_attempts: int = 8,
        max_known: int = 5_000,
        retry_seconds: float = 10.0,
    ) -> None:
        self.app = app
        #: The recorder keeps the keys and links beside the events (adapters.write_store).
        self.side_tables = cast(SideTables, app.recorder)
        self.lock = lock
        self.prepare = prepare
        self.on_written = on_written
        self.max_group = max_group
        self.max_attempts = max_attempts
        self._queue: queue.SimpleQueue[_Queued | None] = queue.SimpleQueue()
        #: Aggregates as stored after this writer's last commit, valid while the head is where
        #: that commit left it (no other writer appended since); see ADR 0007.
        self._known: dict[UUID, Aggregate] = {}
        self._known_at: int | None = None
        self.max_known = max_known
        self.retry_seconds = retry_seconds
        #: Transactions committed by this writer (for tests and metrics).
        self.groups = 0
        #: The newest position this writer stored or saw as the head.
        self.written = 0
        self._thread: threading.Thread | None = None
        self._started = threading.Lock()
        self._stopped = False
        self._stop_seen = False
        self._pending: _Queued | None = None  # taken from the queue, first of the next group

    def submit(self, request: WriteRequest) -> Future[Any]:
        """Queue ``request`` for the next group; its Future is answered once the group is stored
        (or refused). A Future cancelled before the writer takes it up is skipped, not stored."""
        if self._stopped:
            raise RuntimeError("the writer is closed")
        with self._started:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="journey-writer", daemon=True)
                self._thread.start()
        future: Future[Any] = Future()
        self._queue.put(_Queued(request, future))
        return future

    def forget_known(self) -> None:
        """Load every aggregate from the store in the next group, not from the aggregates kept
        since the last one (after an erasure: none of them is decided on with erased data)."""
        self._known_at = None

    def close(self) -> None:
        """Store what is queued, stop the thread, release the writer lock."""
        self._stopped = True
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=30)
        self.lock.close()

    def _run(self) -> None:
        while not self._stop_seen:
            item = self._pending or self._queue.get()
            self._pending = None
            if item is None:
                return
            group: list[_Queued] = []
            if item.future.set_running_or_notify_cancel():  # False: its client gave up
                group.append(item)
            self._top_up(group)
            if group:
                try:
                    self._commit(group)
                except BaseException as error:  # noqa: BLE001 -- the writer must outlive any one group
                    log.exception("write group failed")
                    _answer(group, error)

    def _top_up(self, items: list[_Queued]) -> None:
        """Add to ``items`` the requests queued meanwhile, up to ``max_group`` touchpoints; one
        that would overflow the group waits, first in line, for the next."""
        size = sum(i.request.size for i in items)
        while size < self.max_group and not self._stop_seen and self._pending is None:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is None:
                self._stop_seen = True
            elif items and size + item.request.size > self.max_group:
                self._pending = item
            elif item.future.set_running_or_notify_cancel():
                items.append(item)
                size += item.request.size

    def _commit(self, items: list[_Queued]) -> None:
        deadline = time.monotonic() + self.retry_seconds
        for attempt in range(1, self.max_attempts + 1):
            try:
                with self.lock.held():
                    self._top_up(items)  # what queued while the lock was awaited joins the group
                    answers = self._decide_and_store(items)
            except (IntegrityError, OperationalError, InterfaceError) as error:
                waited_enough = isinstance(error, LockTimeoutError) or time.monotonic() > deadline
                if attempt == self.max_attempts or waited_enough:
                    failure: Exception = error
                    if isinstance(error, IntegrityError):
                        failure = ContentionError("the stream kept changing under this write; retry")
                    _answer(items, failure)
                    return
                log.info("write group retried (attempt %s): %s", attempt, error)
                time.sleep(random.uniform(0, 0.005 * 2**attempt))  # noqa: S311 -- jitter, not secrets
                continue
            self.groups += 1
            for item, (ok, value) in zip(items, answers, strict=True):
                _answer([item], value, ok=ok)
            if any(ok for ok, _ in answers):
                try:
                    self.on_written()
                except Exception:  # noqa: BLE001 -- a listener's fault is not the write's
                    log.exception("a listener of written events failed")
            return

    def _decide_and_store(self, items: list[_Queued]) -> list[tuple[bool, Any]]:
        head = self.app.recorder.max_notification_id() or 0
        if head != self._known_at or len(self._known) > self.max_known:
            self._known = {}  # another writer appended (or the map grew too large): reload
        self._known_at = None  # until this group is stored, what it changes is not as stored
        uow = UnitOfWork(self.app, self.side_tables, self._known)
        group = Group()
        self.prepare(uow, [i.request for i in items], group)
        decided: list[tuple[bool, Any]] = []
        for item in items:
            savepoint = uow.savepoint()
            try:
                decided.append((True, item.request.decide(uow, group)))
            except PersistenceError:
                raise  # the store, not the request: the whole group is retried
            except Exception as error:  # noqa: BLE001 -- answered to this request alone
                uow.rollback(savepoint)
                decided.append((False, error))
        positions: Positions = {}
        if uow.events:
            recordings = self.app.events.put(
                uow.events, expected_head=head, keys=list(uow.keys.values()), links=uow.links
            )
            positions = {
                (r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id
                for r in recordings
            }
        self._known_at = max(positions.values(), default=head)
        self.written = max(self.written, self._known_at)
        return [(ok, value(positions) if ok else value) for ok, value in decided]


def _answer(items: list[_Queued], value: Any, *, ok: bool = False) -> None:
    """Answer each item's Future with ``value`` (a result, else an error); an item answered or
    cancelled meanwhile is left as it is."""
    for item in items:
        try:
            if ok:
                item.future.set_result(value)
            else:
                item.future.set_exception(value)
        except InvalidStateError:
            pass
