"""Read use cases: wait (bounded) until the views reflect a position, then read one snapshot."""

from __future__ import annotations

import time
from datetime import date

from domain.errors import UnknownError
from domain.holds import DunningPolicy
from projections import read_models
from projections.batch import Doc, ReadStore, Snapshot
from services.clock import Clock


class NotCaughtUpError(Exception):
    """The views did not reach the asked position within the wait limit."""

    def __init__(self, position: int, wanted: int) -> None:
        self.position = position
        self.wanted = wanted
        super().__init__(f"the views reflect position {position}, not yet {wanted}")


class Reads:
    """What departments read; every answer names the position it reflects."""

    def __init__(
        self, store: ReadStore, stream_name: str, clock: Clock, policy: DunningPolicy, max_wait: float
    ) -> None:
        self.store = store
        self.stream_name = stream_name
        self.clock = clock
        self.policy = policy
        self.max_wait = max_wait

    def position(self) -> int:
        """The stream position the views reflect now."""
        return self.store.position(self.stream_name)

    def wait_for(self, min_position: int | None) -> None:
        """Return once the views reflect ``min_position``; NotCaughtUpError after max_wait."""
        if not min_position:
            return
        deadline = time.monotonic() + self.max_wait
        pause = 0.005
        while (position := self.position()) < min_position:
            if time.monotonic() >= deadline:
                raise NotCaughtUpError(position, min_position)
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 0.1)

    def _customer(
        self, customer_id: str, views: tuple[str, ...], min_position: int | None, *, entries: bool = False
    ) -> Snapshot:
        self.wait_for(min_position)
        snapshot = self.store.read(self.stream_name, customer_id, (*views, "journey"), entries=entries)
        if not any(d["kind"] == "customer" for d in snapshot.of("journey")):
            raise UnknownError("customer", customer_id)
        return snapshot

    def _today(self) -> date:
        return self.clock.now().date()

    def journey(self, customer_id: str, min_position: int | None = None) -> Doc:
        """Every touchpoint of the customer, in stream order."""
        return read_models.journey_view(self._customer(customer_id, (), min_position, entries=True))

    def billing(self, customer_id: str, min_position: int | None = None) -> Doc:
        """Billing's view of the customer, as of the clock's today."""
        snapshot = self._customer(customer_id, ("billing",), min_position)
        return read_models.billing_view(snapshot, self._today(), self.policy)

    def support(self, customer_id: str, min_position: int | None = None) -> Doc:
        """Support's view of the customer, as of the clock's today."""
        return read_models.support_view(self._customer(customer_id, ("support",), min_position), self._today())

    def views(self, customer_id: str, min_position: int | None = None) -> Doc:
        """Billing and support of one customer from one snapshot: the same position, always."""
        snapshot = self._customer(customer_id, ("billing", "support"), min_position)
        today = self._today()
        return {
            "position": snapshot.position,
            "billing": read_models.billing_view(snapshot, today, self.policy),
            "support": read_models.support_view(snapshot, today),
        }

    def dunning_candidates(self, min_position: int | None = None) -> Doc:
        """Invoices of every customer whose next dunning step the hold rule allows today."""
        self.wait_for(min_position)
        snapshot = self.store.read(self.stream_name, None, ("billing",), ("invoice", "complaint"))
        return read_models.dunning_candidates(snapshot, self._today(), self.policy)
