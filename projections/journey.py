"""The journey view: every touchpoint of a customer in stream order, with its department, the
ids it concerns (``subject``) and a one-line ``summary`` beside the event's own ``data``."""

from __future__ import annotations

from typing import Any

from projections import billing, support
from projections.batch import Batch, Doc
from projections.encoding import actor, event_type, payload
from projections.summaries import merged, subject_of, summarize

VIEW = "journey"


def project(batch: Batch, event: Any, position: int) -> None:
    """Append the event as a touchpoint of its customer (no I/O): ``at`` is the business time,
    ``recorded_at`` the time the event was recorded (the library's event timestamp). The owner
    document of each aggregate remembers the ids of its creating event, so that later events,
    which carry none, are named by them."""
    name = event_type(event)
    key = event.originator_id.hex
    attrs = vars(event)
    owner = batch.get(VIEW, key)
    if owner is None:
        customer_id = attrs.get("customer_id")
        if customer_id is None:
            return
        owner = {"kind": name.split(".")[0].lower(), "customer_id": customer_id, "subject": subject_of(attrs)}
        batch.put(VIEW, key, owner)
    elif "subject" not in owner:
        owner["subject"] = _remembered(batch, key, owner)
        batch.put(VIEW, key, owner)
    subject = merged(owner["subject"], subject_of(attrs))
    by = actor(event)
    batch.add_entry(position, owner["customer_id"], {
        "position": position, "type": name, "aggregate": owner["kind"], "subject": subject,
        "summary": summarize(name, attrs, subject),
        "department": by["department"], "actor": by, "at": event.at.isoformat(),
        "recorded_at": event.timestamp.isoformat(), "data": payload(event),
    })


def _remembered(batch: Batch, key: str, owner: Doc) -> dict[str, str]:
    """The ids of an aggregate whose owner document was projected before it kept them: taken
    from the other views' documents of the aggregate, which every batch loads with it."""
    others = (batch.get(view, key) or {} for view in (billing.VIEW, support.VIEW))
    return merged({"customer_id": owner["customer_id"]}, *(subject_of(doc) for doc in others))
