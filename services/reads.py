"""Read use cases: wait (bounded) until the views reflect a position, then read one snapshot.

``caught_up`` waits without holding a thread (the HTTP reads use it, then run the snapshot read
in the thread pool); ``wait_for`` is its blocking twin for workers and the CLI.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from starlette.concurrency import run_in_threadpool

from domain.contact import ContactPolicy
from domain.errors import UnknownError
from domain.holds import DunningPolicy
from projections import customers, loyalty, marketing_model, read_models, worklists
from projections import views as all_views
from projections.batch import Batch, Doc, ReadStore, Snapshot
from projections.candidates import dunned_by
from services.clock import Clock
from services.cursors import InvalidCursorError, decode_cursor, encode_cursor
from services.progress import ViewsProgress

_KEY = re.compile(r"[0-9a-f]{32}")


class NotCaughtUpError(Exception):
    """The views did not reach the asked position within the wait limit."""

    def __init__(self, position: int, wanted: int) -> None:
        self.position = position
        self.wanted = wanted
        super().__init__(f"the views reflect position {position}, not yet {wanted}")


class BeyondHeadError(Exception):
    """The asked position lies beyond the newest event of the stream: waiting cannot help."""

    def __init__(self, head: int, wanted: int) -> None:
        self.head = head
        self.wanted = wanted
        super().__init__(f"the stream ends at position {head}; {wanted} was not written yet")


@dataclass(frozen=True)
class AsOf:
    """A point in the past to read a customer's views at: a stream position, or a time (the
    newest position recorded at or before it)."""

    position: int | None = None
    time: datetime | None = None


class History(Protocol):
    """The stored stream read by originator and position (adapters.history)."""

    def events_of(self, originator_ids: list[UUID], upto: int | None = None) -> list[tuple[Any, int]]: ...
    def at(self, position: int) -> Any | None: ...
    def page(self, start: int, limit: int, stop: int | None = None, topics: Sequence[str] = ()) -> list[tuple[Any, int]]: ...
    def position_at(self, when: datetime, head: int) -> int: ...


#: The views a marketing read needs: the contact book, and what the contact rule reads of the others.
MARKETING_READS = ("billing", "support", "customers", "marketing", "loyalty")
#: The name candidate cursors carry (services.cursors).
CANDIDATES = "dunning-candidates"


def decode_candidates_cursor(cursor: str) -> str:
    """The invoice key a candidates cursor continues after; InvalidCursorError otherwise."""
    key = decode_cursor(CANDIDATES, cursor)
    if not _KEY.fullmatch(key):
        raise InvalidCursorError(f"the cursor is not one a page of {CANDIDATES} answered")
    return key


class Reads:
    """What departments read; every answer names the position it reflects."""

    def __init__(  # noqa: PLR0913
        self,
        store: ReadStore,
        stream_name: str,
        clock: Clock,
        policy: DunningPolicy,
        max_wait: float,
        head: Callable[[], int],
        written: Callable[[], int] = lambda: 0,
        history: History | None = None,
        aggregates_of: Callable[[str], list[UUID]] | None = None,
        contact_policy: ContactPolicy | None = None,
    ) -> None:
        self.store = store
        self.contact_policy = contact_policy or ContactPolicy()
        self.stream_name = stream_name
        self.clock = clock
        self.policy = policy
        self.max_wait = max_wait
        self.head = head
        #: The newest position this process wrote: no position up to it lies beyond the head.
        self.written = written
        self.progress = ViewsProgress(self.position)
        self.history = history
        self.aggregates_of = aggregates_of

    def position(self) -> int:
        """The stream position the views reflect now."""
        return self.store.position(self.stream_name)

    def _must_wait(self, min_position: int | None) -> bool:
        """Whether the views are still short of ``min_position``; BeyondHeadError when no event
        was written there yet (the head is read only when the views are short of it)."""
        if not min_position or min_position <= self.progress.position:
            return False
        self.progress.advanced(self.position())
        if min_position <= self.progress.position:
            return False
        head = self.head()
        if min_position > head:
            raise BeyondHeadError(head, min_position)
        return True

    async def caught_up(self, min_position: int | None) -> None:
        """Return once the views reflect ``min_position``, waiting without holding a thread;
        NotCaughtUpError after ``max_wait`` seconds, BeyondHeadError at once."""
        if not min_position or min_position <= self.progress.position:
            return
        # Projecting here, the progress is current; a position this process wrote exists: so
        # a read after a write made here waits without asking the store anything.
        known = not self.progress.watch and min_position <= self.written()
        if known or await run_in_threadpool(self._must_wait, min_position):
            assert min_position is not None
            if not await self.progress.reached(min_position, self.max_wait):
                raise NotCaughtUpError(self.progress.position, min_position)

    def wait_for(self, min_position: int | None) -> None:
        """The blocking twin of ``caught_up``, for callers outside an event loop."""
        if self._must_wait(min_position):
            assert min_position is not None
            if not self.progress.reached_blocking(min_position, self.max_wait):
                raise NotCaughtUpError(self.progress.position, min_position)

    def close(self) -> None:
        self.progress.close()

    def _customer(
        self, customer_id: str, views: tuple[str, ...], min_position: int | None, *, entries: bool = False,
        as_of: AsOf | None = None,
    ) -> tuple[Snapshot, datetime]:
        """One snapshot of the customer's documents and the business time to read them at: now,
        or, ``as_of`` a past point, folded from the customer's events up to that point."""
        if as_of is not None:
            snapshot, now = self.past(customer_id, as_of)
        else:
            self.wait_for(min_position)
            snapshot = self.store.read(self.stream_name, customer_id, (*views, "journey"), entries=entries)
            now = self.clock.now()
        if not any(d["kind"] == "customer" for d in snapshot.of("journey")):
            raise UnknownError("customer", customer_id)
        return snapshot, now

    def resolve(self, as_of: AsOf) -> int:
        """The stream position ``as_of`` names; BeyondHeadError past the head."""
        assert self.history is not None
        head = self.head()
        if as_of.time is not None:
            return self.history.position_at(as_of.time, head)
        assert as_of.position is not None
        if as_of.position > head:
            raise BeyondHeadError(head, as_of.position)
        return as_of.position

    def past(self, customer_id: str, as_of: AsOf) -> tuple[Snapshot, datetime]:
        """The customer's documents and entries as the views held them at ``as_of``, folded from
        that customer's events alone (the views must have reached the position: the caller
        waits with ``caught_up``), and the business time then: the time asked, or the business
        time of the event at the position asked."""
        assert self.history is not None and self.aggregates_of is not None
        position = self.resolve(as_of)
        events = self.history.events_of(self.aggregates_of(customer_id), position) if position else []
        batch = Batch({})
        all_views.fold(batch, events)
        docs = [(v, k, d) for (v, k), d in sorted(batch.docs.items(), key=lambda item: (item[0][1], item[0][0]))
                if d.get("customer_id") == customer_id]
        entries = sorted((p, e) for p, c, e in batch.entries if c == customer_id)
        if as_of.time is not None:
            now = as_of.time
        else:
            event = self.history.at(position) if position else None
            now = getattr(event, "at", self.clock.now()) if event is not None else self.clock.now()
        return Snapshot(position, docs, entries), now

    def knows(self, customer_id: str) -> bool:
        """Whether the views know the customer (one document read, no waiting)."""
        snapshot = self.store.read(self.stream_name, customer_id, ("journey",), entries=False)
        return any(d["kind"] == "customer" for d in snapshot.of("journey"))

    def _today(self) -> date:
        return self.clock.now().date()

    def journey(self, customer_id: str, min_position: int | None = None, as_of: AsOf | None = None) -> Doc:
        """Every touchpoint of the customer, in stream order (up to ``as_of``)."""
        snapshot, _ = self._customer(customer_id, (), min_position, entries=True, as_of=as_of)
        return read_models.journey_view(snapshot)

    def billing(self, customer_id: str, min_position: int | None = None, as_of: AsOf | None = None) -> Doc:
        """Billing's view of the customer, as of the clock's today (or as it was at ``as_of``)."""
        snapshot, now = self._customer(customer_id, ("billing", customers.VIEW), min_position, as_of=as_of)
        return read_models.billing_view(snapshot, now.date(), self.policy)

    def support(self, customer_id: str, min_position: int | None = None, as_of: AsOf | None = None) -> Doc:
        """Support's view of the customer, as of the clock's today (or as it was at ``as_of``)."""
        snapshot, now = self._customer(customer_id, ("support", "billing", customers.VIEW), min_position, as_of=as_of)
        return read_models.support_view(snapshot, now.date(), self.policy)

    def marketing(self, customer_id: str, min_position: int | None = None, as_of: AsOf | None = None) -> Doc:
        """Marketing's view of the customer now (or as it was at ``as_of``): consents,
        preferences, holds, what the contact rule allows, every contact."""
        snapshot, now = self._customer(customer_id, MARKETING_READS, min_position, as_of=as_of)
        return marketing_model.marketing_view(snapshot, now, self.contact_policy)

    def loyalty(self, customer_id: str, min_position: int | None = None, as_of: AsOf | None = None) -> Doc:
        """The customer's loyalty card now (or as it was at ``as_of``): balance, tier, lots."""
        snapshot, now = self._customer(customer_id, ("loyalty",), min_position, as_of=as_of)
        return loyalty.loyalty_view(snapshot, now.date())

    def views(self, customer_id: str, min_position: int | None = None, as_of: AsOf | None = None) -> Doc:
        """Billing, support, marketing and loyalty of one customer from one snapshot: the same
        position, always."""
        snapshot, now = self._customer(customer_id, MARKETING_READS, min_position, as_of=as_of)
        today = now.date()
        return {
            "position": snapshot.position,
            "billing": read_models.billing_view(snapshot, today, self.policy),
            "support": read_models.support_view(snapshot, today, self.policy),
            "marketing": marketing_model.marketing_view(snapshot, now, self.contact_policy),
            "loyalty": loyalty.loyalty_view(snapshot, today),
        }

    def dunning_candidates(
        self, min_position: int | None = None, *, limit: int = 100, cursor: str | None = None
    ) -> Doc:
        """One page of the invoices, of every customer, whose next dunning step the hold rule
        allows today, each with its customer's contact data (``customer``, None when unknown):
        found through the candidates table, confirmed by the rule. ``cursor`` is
        the previous page's ``next_cursor`` (None on the last page); InvalidCursorError when it
        is not one."""
        after = decode_candidates_cursor(cursor) if cursor else None
        self.wait_for(min_position)
        today = self._today()
        snapshot, last = self.store.read_candidates(
            self.stream_name, today.isoformat(), dunned_by(today, self.policy).isoformat(), after, limit
        )
        page = read_models.dunning_candidates(snapshot, today, self.policy)
        candidates = worklists.with_contacts(page["candidates"], snapshot)
        return {**page, "candidates": candidates, "next_cursor": encode_cursor(CANDIDATES, last) if last else None}
