"""The access log: every read of a customer's data, recorded before it is answered.

It lives outside the journey stream (reads are not touchpoints, and the stream must not grow
with every glance at a customer) in an append-only table. A read whose access cannot be recorded
is not answered: the store error reaches the client as 503, and no data left unrecorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
    """Records who read which customer's data through which view, and lists it per customer."""

    def __init__(self, tables: SecurityTables, clock: Clock) -> None:
        self.tables = tables
        self.clock = clock

    def record(self, caller: Caller, view: str, customers: Iterable[str]) -> None:
        """One row per customer whose data ``caller`` is shown through ``view``."""
        at = self.clock.now()
        self.tables.record_accesses([
            Access(at=at, principal=caller.name, role=caller.role.value, credential=caller.credential,
                   customer_id=customer, view=view)
            for customer in customers
        ])

    def of(self, customer_id: str, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """A page of the reads of ``customer_id``'s data, oldest first."""
        return as_rows(self.tables.accesses_of(customer_id, after=after, limit=limit))
