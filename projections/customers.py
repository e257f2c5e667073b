"""The customers view: one document per customer with the contact data a department needs to
address a letter or call back (name, email, phone, postal address), and the birthday the
campaigns congratulate on."""

from __future__ import annotations

from typing import Any

from projections.batch import Batch, Doc
from projections.encoding import event_type, payload

VIEW = "customers"
#: The contact details a ``Customer.ContactDetailsChanged`` may change (None: unchanged).
CHANGEABLE = ("email", "phone", "address")


def apply(doc: Doc | None, name: str, data: dict[str, Any], position: int) -> Doc | None:
    """The customer document after the event ``name`` with attributes ``data`` (an event's
    payload or a journey entry's ``data``): a new document on ``Customer.Registered`` (an event
    of version 1 has no phone or address), the changed details on
    ``Customer.ContactDetailsChanged``; None when the event changes nothing here."""
    if name == "Customer.Registered":
        return {
            "kind": "customer", "customer_id": data["customer_id"], "name": data["name"],
            "email": data["email"], "phone": data.get("phone"), "address": data.get("address"),
            "birthday": _day(data.get("birthday")), "position": position,
        }
    if name == "Customer.ContactDetailsChanged" and doc is not None:
        changed = {k: data[k] for k in CHANGEABLE if data.get(k)}
        return {**doc, **changed, "position": position}
    return None


def _day(value: Any) -> str | None:
    """A birthday as an ISO day (an event's date, or a journey entry's string), or None."""
    return str(value.isoformat()) if hasattr(value, "isoformat") else value if isinstance(value, str) else None


def project(batch: Batch, event: Any, position: int) -> None:
    """Fold one event into the customers' documents (no I/O; updates the batch's working set)."""
    name = event_type(event)
    if not name.startswith("Customer."):
        return
    key = event.originator_id.hex
    doc = apply(batch.get(VIEW, key), name, payload(event), position)
    if doc is not None:
        batch.put(VIEW, key, doc)


def contact(doc: Doc) -> Doc:
    """What a department is shown of a customer document (``erased`` only once the person's
    personal data was erased: every personal value then reads ``domain.personal.ERASED``)."""
    shown = {k: doc[k] for k in ("customer_id", "name", "email", "phone", "address")}
    if doc.get("erased"):
        shown["erased"] = True
    return shown
