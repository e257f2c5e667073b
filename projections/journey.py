"""The journey view: every touchpoint of a customer in stream order, with its department."""

from __future__ import annotations

from typing import Any

from projections.batch import Batch
from projections.encoding import actor, event_type, payload

VIEW = "journey"


def project(batch: Batch, event: Any, position: int) -> None:
    """Append the event as a touchpoint of its customer (no I/O): ``at`` is the business time,
    ``recorded_at`` the time the event was recorded (the library's event timestamp)."""
    name = event_type(event)
    key = event.originator_id.hex
    owner = batch.get(VIEW, key)
    if owner is None:
        customer_id = getattr(event, "customer_id", None)
        if customer_id is None:
            return
        owner = {"kind": name.split(".")[0].lower(), "customer_id": customer_id}
        batch.put(VIEW, key, owner)
    by = actor(event)
    batch.add_entry(position, owner["customer_id"], {
        "position": position, "type": name, "aggregate": owner["kind"],
        "department": by["department"], "actor": by, "at": event.at.isoformat(),
        "recorded_at": event.timestamp.isoformat(), "data": payload(event),
    })
