"""Erasure in the views: after ``Customer.PersonalDataErased`` every document and journey entry
of the customer shows each personal value as ``domain.personal.ERASED``, and the customer's
document says ``erased: true``. Amounts, dates, levels, holds and ids stay as they were.

The scrubbed views equal views rebuilt from the stream after the erasure (where every personal
field reads as ERASED because the customer's key is gone): a value that was None stays None,
any other value of a personal field becomes ERASED, the acting staff member too (also in a
promise's ``granted_by``), and a journey entry's one-line summary is written again from its
scrubbed data.

The store loads, for a batch holding an erasure, every document and journey entry of the
customer (``erased_customers``) and writes back what ``project`` rewrites.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.holds import DETAILED_REQUEST
from domain.personal import ERASED, PERSONAL_FIELDS
from projections import billing, customers
from projections.batch import Batch, Doc, Positioned
from projections.encoding import event_type
from projections.summaries import summarize

ERASURE = "Customer.PersonalDataErased"


def erased_customers(events: Iterable[Positioned]) -> set[str]:
    """The customers whose personal data ``events`` erase."""
    return {e.customer_id for e, _ in events if event_type(e) == ERASURE}


def _erased(value: Any) -> Any:
    return None if value is None else ERASED


def scrub(value: Any) -> Any:
    """``value`` (a document, an entry's data, a list) with every personal field erased: the
    fields ``domain.personal`` names, and the ``user`` of an actor (a dict with a department)."""
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if not isinstance(value, dict):
        return value
    scrubbed = {k: _erased(v) if k in PERSONAL_FIELDS else scrub(v) for k, v in value.items()}
    if "department" in scrubbed and "user" in scrubbed:
        scrubbed["user"] = _erased(scrubbed["user"])
    return scrubbed


def scrub_document(view: str, doc: Doc) -> Doc:
    """A view document of an erased customer, as a rebuild after the erasure would fold it."""
    scrubbed: Doc = scrub(doc)
    if view == customers.VIEW and doc.get("kind") == "customer":
        scrubbed["erased"] = True
    if view == billing.VIEW and doc.get("kind") == "invoice":
        scrubbed["open_dispute"] = _erased(doc.get("open_dispute"))
        scrubbed["open_detailed_requests"] = [
            r if r == DETAILED_REQUEST else ERASED for r in doc.get("open_detailed_requests", [])
        ]
        for promise in scrubbed.get("deferrals", []):
            promise["revoked_because"] = _erased(promise.get("revoked_because"))
            made_by = promise.get("made_by") or {}
            if made_by.get("user") is not None:
                promise["granted_by"] = f"{made_by['department']}:{ERASED}"
    return scrubbed


def scrub_entry(entry: Doc) -> Doc:
    """A journey entry of an erased customer, its summary written again from the scrubbed data
    when the data held personal values."""
    data = entry.get("data") or {}
    scrubbed: Doc = {**entry, "data": scrub(data), "actor": scrub(entry.get("actor"))}
    if any(data.get(k) is not None for k in PERSONAL_FIELDS):
        scrubbed["summary"] = summarize(entry["type"], scrubbed["data"], entry.get("subject") or {})
    return scrubbed


def project(batch: Batch, event: Any, position: int) -> None:
    """On an erasure, scrub every document and journey entry of the customer the batch holds
    (the store loaded all of them). No I/O."""
    if event_type(event) != ERASURE:
        return
    customer_id = event.customer_id
    for (view, key), doc in list(batch.docs.items()):
        if doc.get("customer_id") == customer_id:
            scrubbed = scrub_document(view, doc)
            if view == customers.VIEW:
                scrubbed["position"] = position
            batch.put(view, key, scrubbed)
    batch.entries[:] = [
        (p, c, scrub_entry(e) if c == customer_id else e) for p, c, e in batch.entries
    ]
    for stored_position, entry in batch.stored_entries.pop(customer_id, []):
        batch.rewritten[stored_position] = (customer_id, scrub_entry(entry))
