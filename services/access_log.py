"""The access log: every read of a customer's data, recorded before it is answered.

It lives outside the journey stream (reads are not touchpoints, and the stream must not grow
with every glance at a customer) in an append-only table. A read whose access cannot be recorded
is not answered: the store error reaches the client as 503, and no data left unrecorded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import Future
from typing import Any

from eventsourcing.persistence import OperationalError

from adapters.security_tables import Access, SecurityTables, as_rows
from services.clock import Clock
from services.credentials import Caller


def customer_ids(body: Any) -> list[str]:
    """Every ``customer_id`` in an answer (documents, pages, nested contact data), in order."""
    found: dict[str, None] = {}
    stack = [body]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            customer = value.get("customer_id")
            if isinstance(customer, str):
                found[customer] = None
            stack.extend(reversed(list(value.values())))
        elif isinstance(value, list):
            stack.extend(reversed(value))
    return list(found)


class AccessLog:
    """Records who read which customer's data through which view, and lists it per customer.

    Reads made at the same moment are recorded together (group commit): ``record`` hands its
    rows to one recording thread and waits, bounded, until the transaction holding them has
    committed, so each read is still recorded before it is answered, at one transaction per
    group instead of one per read."""

    def __init__(self, tables: SecurityTables, clock: Clock, max_wait: float = 10.0) -> None:
        self.tables = tables
        self.clock = clock
        self.max_wait = max_wait
        self._pending: list[tuple[list[Access], Future[None]]] = []
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def record(self, caller: Caller, view: str, customers: Iterable[str]) -> None:
        """One row per customer whose data ``caller`` is shown through ``view``; returns once
        they are committed (a store error or no commit within ``max_wait`` is raised)."""
        at = self.clock.now()
        rows = [
            Access(at=at, principal=caller.name, role=caller.role.value, credential=caller.credential,
                   customer_id=customer, view=view)
            for customer in customers
        ]
        if not rows:
            return
        done: Future[None] = Future()
        with self._ready:
            if self._closed:
                raise OperationalError("the access log is closed")
            self._pending.append((rows, done))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
                self._thread.start()
            self._ready.notify()
        try:
            done.result(self.max_wait)
        except TimeoutError:
            raise OperationalError(f"the access log was not recorded within {self.max_wait:g} s") from None

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._pending and not self._closed:
                    self._ready.wait()
                group, self._pending = self._pending, []
                if not group and self._closed:
                    return
            try:
                self.tables.record_accesses([row for rows, _ in group for row in rows])
            except Exception as error:  # noqa: BLE001 -- handed to every read of the group, which answers 503
                for _, done in group:
                    done.set_exception(error)
            else:
                for _, done in group:
                    done.set_result(None)

    def close(self) -> None:
        """Record what is pending, then stop the recording thread."""
        with self._ready:
            self._closed = True
            self._ready.notify()
        if self._thread is not None:
            self._thread.join(self.max_wait)

    def of(self, customer_id: str, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """A page of the reads of ``customer_id``'s data, oldest first."""
        return as_rows(self.tables.accesses_of(customer_id, after=after, limit=limit))
