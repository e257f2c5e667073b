"""The Complaint aggregate."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidTransitionError
from domain.values import Principal, aggregate_id


class Complaint(Aggregate):
    """A complaint about an order's product group; it holds dunning until it is resolved."""

    @staticmethod
    def create_id(complaint_id: str) -> UUID:
        return aggregate_id("complaint", complaint_id)

    @event("Filed")
    def __init__(
        self,
        customer_id: str,
        complaint_id: str,
        order_id: str,
        product_group: str,
        text: str,
        at: datetime,
        by: Principal,
    ) -> None:
        self.customer_id = customer_id
        self.complaint_id = complaint_id
        self.order_id = order_id
        self.product_group = product_group
        self.resolved = False

    def check_open(self, step: str) -> None:
        if self.resolved:
            raise InvalidTransitionError(f"complaint {self.complaint_id} is resolved; cannot be {step}")

    def answer(self, *, text: str, at: datetime, by: Principal) -> None:
        self.check_open("answered")
        self._answered(text=text, at=at, by=by)

    @event("Answered")
    def _answered(self, text: str, at: datetime, by: Principal) -> None:
        pass

    def resolve(self, *, note: str, at: datetime, by: Principal) -> None:
        self.check_open("resolved")
        self._resolved(note=note, at=at, by=by)

    @event("Resolved")
    def _resolved(self, note: str, at: datetime, by: Principal) -> None:
        self.resolved = True
