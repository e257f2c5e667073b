"""The Receipt aggregate: proof that an integrator's event was taken, for idempotency."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.values import Principal, aggregate_id


def receipt_key(source: str, event_id: str) -> str:
    """An unambiguous key for the pair (source, id) that identifies a CloudEvent."""
    return f"{len(source)}:{source}:{event_id}"


class Receipt(Aggregate):
    """Recorded in the same transaction as the touchpoint it admitted. A second receipt for
    the same (source, id) cannot be recorded, so a retried event is never stored twice."""

    @staticmethod
    def create_id(source: str, event_id: str) -> UUID:
        return aggregate_id("receipt", receipt_key(source, event_id))

    @event("Received")
    def __init__(
        self,
        source: str,
        event_id: str,
        type: str,
        digest: str,
        touchpoint_id: UUID,
        touchpoint_version: int,
        at: datetime,
        by: Principal,
    ) -> None:
        self.source = source
        self.event_id = event_id
        self.type = type
        self.digest = digest
        #: The aggregate event the CloudEvent became, for auditors tracing an integration.
        self.touchpoint_id = touchpoint_id
        self.touchpoint_version = touchpoint_version
