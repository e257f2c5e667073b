"""A unit of work over the journey application: an identity map and stream-ordered events."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol

from domain.complaint import Complaint
from domain.customer import Customer
from domain.errors import AlreadyExistsError, UnknownError, WrongCustomerError
from domain.invoice import Invoice
from domain.order import Order
from domain.receipt import Receipt

A = TypeVar("A", bound=Aggregate)

KIND = {Customer: "customer", Order: "order", Invoice: "invoice", Complaint: "complaint", Receipt: "receipt"}


class UnitOfWork:
    """Loads each aggregate at most once and collects new events in the order they happen, so a
    batch of touchpoints is appended atomically and in the order it was sent."""

    def __init__(self, app: Application) -> None:
        self._app = app
        self._aggregates: dict[UUID, Aggregate] = {}
        self._absent: set[UUID] = set()
        self.events: list[DomainEventProtocol] = []

    def know_absent(self, ids: set[UUID]) -> None:
        """Ids known to have no stored events, so ``find`` need not ask the store."""
        self._absent |= ids

    def find(self, cls: type[A], *natural_id: str) -> A | None:
        agg_id = cls.create_id(*natural_id)
        if agg_id in self._aggregates:
            return self._aggregates[agg_id]  # type: ignore[return-value]
        if agg_id in self._absent:
            return None
        try:
            aggregate = self._app.repository.get(agg_id)
        except AggregateNotFoundError:
            return None
        self._aggregates[agg_id] = aggregate
        return aggregate  # type: ignore[return-value]

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
            self._aggregates[aggregate.id] = aggregate
            new += aggregate.collect_events()
        self.events += new
        return new
