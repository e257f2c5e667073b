"""A unit of work over the journey application: an identity map, stream-ordered events, and what
the write records besides its events (idempotency keys, links between aggregates).

Several requests share one unit of work when they are committed together (group commit); a
request that breaks a rule is rolled back to its savepoint, so it leaves no trace in the others.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol

from adapters.write_store import KeyRecord, Link, StoredKey
from domain.complaint import Complaint
from domain.contact_book import ContactBook
from domain.customer import Customer
from domain.errors import AlreadyExistsError, UnknownError, WrongCustomerError
from domain.invoice import Invoice
from domain.loyalty_card import LoyaltyCard
from domain.order import Order
from domain.raffle import Raffle

A = TypeVar("A", bound=Aggregate)

KIND = {Customer: "customer", Order: "order", Invoice: "invoice", Complaint: "complaint", ContactBook: "contact-book",
        LoyaltyCard: "loyalty-card", Raffle: "raffle"}


class SideTables(Protocol):
    """The port to what a write keeps beside the stream (adapters.write_store's recorders)."""

    def members(self, relation: str, owner: str) -> list[str]:
        """The ids linked to ``owner`` by ``relation`` (an order's invoices or complaints)."""
        ...

    def stored_keys(self, scope: str, keys: Iterable[str]) -> dict[str, StoredKey]:
        """The idempotency keys among ``keys`` that are stored, with their write's position."""
        ...

    def stored_ids(self, ids: Iterable[UUID]) -> set[UUID]:
        """Which of ``ids`` have stored events."""
        ...


@dataclass(frozen=True)
class Savepoint:
    """How far a unit of work had got before a request began."""

    events: int
    links: int
    keys: int
    added: int


class UnitOfWork:
    """Loads each aggregate at most once and collects new events in the order they happen, so
    the touchpoints of a batch (or of a group of requests) are appended atomically, in order."""

    def __init__(self, app: Application, store: SideTables, known: dict[UUID, Aggregate] | None = None) -> None:
        self._app = app
        self.store = store
        #: The identity map; ``known`` (the writer's aggregates as stored) is used, not copied.
        self._aggregates: dict[UUID, Aggregate] = {} if known is None else known
        self._added: list[UUID] = []  # ids this unit put in the map, in order
        self._used: set[UUID] = set()  # ids the current request reached
        self._changes: Counter[UUID] = Counter()  # new events per aggregate id
        self._absent: set[UUID] = set()
        self._members: dict[tuple[str, str], list[str]] = {}
        self.events: list[DomainEventProtocol] = []
        self.links: list[Link] = []
        self.keys: dict[tuple[str, str], KeyRecord] = {}

    def know_absent(self, ids: set[UUID]) -> None:
        """Ids known to have no stored events, so ``find`` need not ask the store."""
        self._absent |= ids

    def find(self, cls: type[A], *natural_id: str) -> A | None:
        agg_id = cls.create_id(*natural_id)
        if agg_id in self._aggregates:
            self._used.add(agg_id)
            return self._aggregates[agg_id]  # type: ignore[return-value]
        if agg_id in self._absent:
            return None
        try:
            aggregate: A = self._app.repository.get(agg_id)
        except AggregateNotFoundError:
            return None
        self._put(aggregate)
        return aggregate

    def _put(self, aggregate: Aggregate) -> None:
        if aggregate.id not in self._aggregates:
            self._added.append(aggregate.id)
        self._aggregates[aggregate.id] = aggregate
        self._used.add(aggregate.id)

    def get(self, cls: type[A], natural_id: str, customer_id: str | None = None) -> A:
        """The aggregate known as ``natural_id``; refuses one unknown or of another customer."""
        aggregate = self.find(cls, natural_id)
        if aggregate is None:
            raise UnknownError(KIND[cls], natural_id)
        if customer_id is not None and getattr(aggregate, "customer_id", customer_id) != customer_id:
            raise WrongCustomerError(f"{KIND[cls]} {natural_id!r} belongs to another customer")
        return aggregate

    def check_new(self, cls: type[Aggregate], natural_id: str) -> None:
        if self.find(cls, natural_id) is not None:
            raise AlreadyExistsError(KIND[cls], natural_id)

    def record(self, *aggregates: Aggregate) -> list[DomainEventProtocol]:
        """Collect the pending events of ``aggregates``, in this order; returns them."""
        new: list[DomainEventProtocol] = []
        for aggregate in aggregates:
            self._put(aggregate)
            new += aggregate.collect_events()
        self.events += new
        self._changes.update(e.originator_id for e in new)
        return new

    def link(self, relation: str, owner: str, member: str) -> None:
        """Record that ``member`` belongs to ``owner`` (e.g. an invoice to its order)."""
        self.links.append(Link(relation, owner, member))

    def members(self, relation: str, owner: str) -> list[str]:
        """Everything linked to ``owner`` by ``relation``: stored, then added in this unit."""
        if (relation, owner) not in self._members:
            self._members[(relation, owner)] = self.store.members(relation, owner)
        stored = self._members[(relation, owner)]
        added = [ln.member for ln in self.links if (ln.relation, ln.owner) == (relation, owner)]
        return stored + [m for m in added if m not in stored]

    def keep_key(self, key: KeyRecord) -> None:
        """Store ``key`` with the events (an idempotency key of the current request)."""
        self.keys[(key.scope, key.key)] = key

    def savepoint(self) -> Savepoint:
        """Mark where the next request begins (cheap: counts, however large the map)."""
        self._used = set()
        return Savepoint(len(self.events), len(self.links), len(self.keys), len(self._added))

    def rollback(self, savepoint: Savepoint) -> None:
        """Forget everything done since ``savepoint``: its events, links and keys, and the state
        of every aggregate the request reached (rebuilt from the store and the earlier requests'
        events, or forgotten)."""
        dropped = self.events[savepoint.events :]
        del self.events[savepoint.events :]
        del self.links[savepoint.links :]
        for scope_key in list(self.keys)[savepoint.keys :]:
            del self.keys[scope_key]
        for agg_id in self._added[savepoint.added :]:
            del self._aggregates[agg_id]  # loaded or created by the failed request only
        del self._added[savepoint.added :]
        # Whatever the failed request reached may be half changed: rebuild what earlier requests
        # changed, forget the rest (it is reloaded as stored when next needed).
        for event in dropped:
            self._changes[event.originator_id] -= 1
        for agg_id in self._used & self._aggregates.keys():
            if self._changes.get(agg_id):
                self._aggregates[agg_id] = self._rebuild(agg_id)
            else:
                del self._aggregates[agg_id]
        self._used = set()

    def _rebuild(self, agg_id: UUID) -> Aggregate:
        earlier = [e for e in self.events if e.originator_id == agg_id]
        aggregate: Any = None
        if not earlier or earlier[0].originator_version > 1:
            aggregate = self._app.repository.get(agg_id)
        for event in earlier:
            aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
        return aggregate
