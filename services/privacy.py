"""Erasing a person (right to be forgotten) by crypto-shredding.

``erase`` records ``Customer.PersonalDataErased`` (no personal data in it), destroys the
customer's data key, brings the views up to the erasure (they scrub the person's documents and
journey entries), and removes what the database files still hold of the key and of the scrubbed
rows (docs/privacy.md). The stored events are not touched: they keep their bytes (and the hash
chain over them stays valid); every personal field in them is sealed with the destroyed key and
reads as ``domain.personal.ERASED`` from then on, in the views, a rebuild, an as-of read, an
export and a republication to Kafka (where the relay also deletes the profile: a tombstone).

Erasing again answers the same position and records nothing; it destroys and purges again,
so an erasure interrupted after its event was recorded is completed by repeating it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from eventsourcing.application import AggregateNotFoundError

from adapters.event_positions import event_position
from domain.commands import ErasePersonalData
from domain.customer import Customer
from domain.errors import InvalidTransitionError, UnknownError
from domain.values import Principal
from projections.erasure import ERASURE
from services.bootstrap import Journey

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Erasure:
    """The outcome of an erasure: the position of the erasure event, whether this call recorded
    it (False: the person was erased before), and how long the purge of the database took."""

    customer_id: str
    position: int
    recorded: bool
    purge_seconds: float


class Privacy:
    """The data protection officer's use cases over a wired journey."""

    def __init__(self, journey: Journey) -> None:
        self.journey = journey

    def erase(self, customer_id: str, by: Principal, *, purge: bool = True) -> Erasure:
        """Erase the personal data of ``customer_id``; UnknownError when no such customer was
        registered. ``by`` is recorded by department only (who erased is personal too)."""
        service = self.journey.service
        customer = self._customer(customer_id)
        recorded = False
        if not customer.erased:
            try:
                service.execute(ErasePersonalData(customer_id), Principal(by.department))
                recorded = True
            except InvalidTransitionError:  # erased meanwhile by another request
                pass
            customer = self._customer(customer_id)
        position = self._erasure_position(customer)
        service.app.mapper.keys.destroy(customer_id)
        service.writer.forget_known()  # its aggregates of the customer still hold the plaintext
        self.journey.catch_up_views()  # the views scrub the person at the erasure's position
        started = time.perf_counter()
        if purge:
            service.app.mapper.keys.store.purge()
            self.journey.store.purge_erased()
        seconds = time.perf_counter() - started
        log.info("customer %s erased at position %s (purged in %.2f s)", customer_id, position, seconds)
        return Erasure(customer_id, position, recorded, seconds)

    def _erasure_position(self, customer: Customer) -> int:
        app = self.journey.service.app
        version = next(
            e.originator_version for e in app.events.get(customer.id) if type(e).__qualname__ == ERASURE
        )
        position = event_position(app.recorder, customer.id, version)
        if position is None:  # pragma: no cover -- the event was just read back
            raise RuntimeError(f"the erasure of customer {customer.customer_id} is not in the stream")
        return position

    def _customer(self, customer_id: str) -> Customer:
        try:
            customer: Customer = self.journey.service.app.repository.get(Customer.create_id(customer_id))
        except AggregateNotFoundError:
            raise UnknownError("customer", customer_id) from None
        return customer
