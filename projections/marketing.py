"""Marketing's view: per customer, one document of his contact book: the consents in force and
withdrawn, his preferences, the promotional contacts the caps count, and every contact with its
outcome (made, refused with every reason, handed over, delivered, bounced, opened; inbound).

What the contact rule reads of the other departments (dunning levels, disputes, complaints) the
read model takes from billing's and support's documents, so the marketing view shows the next
allowed contact on the same facts a contact would be checked against (marketing_model).

No free text is kept here (an inbound contact's note, a bounce's reason): the journey shows them
to the departments that may read them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.contact_book import MADE_KEPT
from projections.batch import Batch, Doc
from projections.encoding import event_type

VIEW = "marketing"
BOOK = "ContactBook."
#: The outcome an event records for a contact.
OUTCOMES = {
    "ContactBook.ContactHandedOver": "handed-over", "ContactBook.ContactDelivered": "delivered",
    "ContactBook.ContactBounced": "bounced", "ContactBook.ContactOpened": "opened",
}

#: What came of an outbound contact, as its document's ``status`` says (the campaign outcomes).
STATUSES = ("made", "refused", "handed-over", "delivered", "bounced", "opened", "cancelled")


def pair(channel: str, purpose: str) -> str:
    """The key of a consent: ``email/marketing``."""
    return f"{channel}/{purpose}"


def project(batch: Batch, event: Any, position: int) -> None:
    """Fold one event into marketing's documents (no I/O; updates the batch's working set)."""
    name = event_type(event)
    if not name.startswith(BOOK):
        return
    key = event.originator_id.hex
    if name == "ContactBook.Opened":
        batch.put(VIEW, key, {
            "kind": "contact-book", "customer_id": event.customer_id, "consents": {}, "withdrawals": {},
            "preferences": {"caps": [], "quiet_hours": None, "preferred_channel": None},
            "made": [], "contacts": [], "position": position,
        })
        return
    doc = batch.get(VIEW, key)
    if doc is None:
        return
    _apply(doc, name, event, position)
    doc["position"] = position
    batch.put(VIEW, key, doc)


def _apply(doc: Doc, name: str, e: Any, position: int) -> None:  # noqa: PLR0912 -- one case per event type
    at = e.at.isoformat()
    match name:
        case "ContactBook.ConsentGiven":
            doc["consents"][pair(e.channel, e.purpose)] = {
                "channel": e.channel, "purpose": e.purpose, "source": e.source, "given_at": at,
                "expires_on": None if e.expires_on is None else e.expires_on.isoformat(), "confirmed": e.confirmed,
            }
        case "ContactBook.ConsentConfirmed":
            doc["consents"][pair(e.channel, e.purpose)]["confirmed"] = True
        case "ContactBook.ConsentWithdrawn":
            doc["consents"].pop(pair(e.channel, e.purpose), None)
            doc["withdrawals"][pair(e.channel, e.purpose)] = {"channel": e.channel, "purpose": e.purpose,
                                                              "source": e.source, "at": at}
        case "ContactBook.PreferencesSet":
            doc["preferences"] = {"caps": e.caps, "quiet_hours": e.quiet_hours, "preferred_channel": e.preferred_channel}
        case "ContactBook.ContactMade" | "ContactBook.ContactRefused":
            made = name == "ContactBook.ContactMade"
            doc["contacts"].append({
                "contact_id": e.contact_id, "direction": "outbound", "channel": e.channel, "purpose": e.purpose,
                "campaign": e.campaign, "occasion": e.occasion, "message": e.message,
                "department": e.by.department.value, "at": at, "position": position,
                "status": "made" if made else "refused", "reasons": [] if made else e.reasons, "results": [],
            })
            if made:
                since = e.at - MADE_KEPT
                doc["made"] = [m for m in doc["made"] if datetime.fromisoformat(m["at"]) > since]
                doc["made"].append({"at": at, "channel": e.channel, "purpose": e.purpose})
        case "ContactBook.InboundContact":
            doc["contacts"].append({
                "contact_id": e.contact_id, "direction": "inbound", "channel": e.channel,
                "department": e.by.department.value, "at": at, "position": position, "status": "inbound",
                "results": [],
            })
        case "ContactBook.ContactCancelled":
            contact = next(c for c in reversed(doc["contacts"]) if c["contact_id"] == e.contact_id)
            contact["status"] = "cancelled"
            contact["results"].append({"result": "cancelled", "at": at, "position": position, "cause": e.cause})
        case _ if name in OUTCOMES:
            contact = next(c for c in reversed(doc["contacts"]) if c["contact_id"] == e.contact_id)
            contact["status"] = OUTCOMES[name]
            contact["results"].append({"result": OUTCOMES[name], "at": at, "position": position})
