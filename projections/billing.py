"""Billing's view: per invoice what is owed, promised and dunned; per complaint, the order it holds.

An invoice document keeps every promise (deferral) with its number, who made it and whether it
was revoked or shortened: the hold rule reads the ones not revoked, and billing and support both
show the promises from here.

Complaints are read from the complaint's own events (not the Order's bookkeeping of them), so at
every position billing holds exactly the complaints support shows open."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.contact import InvoiceFacts
from domain.holds import DETAILED_REQUEST
from projections.batch import Batch, Doc
from projections.encoding import account_of, actor, event_type, jsonable

VIEW = "billing"


def project(batch: Batch, event: Any, position: int) -> None:
    """Fold one event into billing's documents (no I/O; updates the batch's working set)."""
    key = event.originator_id.hex
    name = event_type(event)
    if name == "Invoice.Issued":
        batch.put(VIEW, key, {
            "kind": "invoice", "customer_id": event.customer_id, "invoice_id": event.invoice_id,
            "order_id": event.order_id, "amount": str(event.amount.amount),
            "currency": event.amount.currency, "paid": "0", "credited": "0", "written_off": "0",
            "applied": "0", "transferred": "0", "due_date": event.due_date.isoformat(),
            "issued_at": event.at.isoformat(), "open_detailed_requests": [], "deferrals": [],
            "open_dispute": None, "dunning_level": 0, "last_dunning_on": None,
            "handed_to_collection": False, "corrections": 0, "position": position,
        })
        return
    if name == "Complaint.Filed":
        batch.put(VIEW, key, {
            "kind": "complaint", "customer_id": event.customer_id, "complaint_id": event.complaint_id,
            "order_id": event.order_id, "open": True, "position": position,
        })
        return
    doc = batch.get(VIEW, key)
    if doc is None:
        return
    if _apply(doc, name, event):
        doc["position"] = position
        batch.put(VIEW, key, doc)


def _add(doc: dict[str, Any], key: str, amount: Decimal) -> None:
    doc[key] = str(Decimal(doc.get(key, "0")) + amount)


def _apply(doc: dict[str, Any], name: str, e: Any) -> bool:  # noqa: PLR0911, PLR0912 -- one case per event type
    match name:
        case "Invoice.DetailedInvoiceRequested":
            doc["open_detailed_requests"].append(e.note or DETAILED_REQUEST)
        case "Invoice.CorrectedInvoiceIssued":
            doc["open_detailed_requests"] = []
            doc["corrections"] += 1
            if e.amount is not None:
                doc["amount"] = str(e.amount.amount)
            if e.due_date is not None:
                doc["due_date"] = e.due_date.isoformat()
        case "Invoice.PaymentReceived":
            _add(doc, "paid", e.amount.amount)
        case "Invoice.CreditNoteIssued":
            _add(doc, "credited", e.amount.amount)
        case "Invoice.WrittenOff":
            _add(doc, "written_off", e.amount.amount)
        case "Invoice.CreditApplied":
            _add(doc, "applied", e.amount.amount)
        case "Invoice.CreditTransferred":
            _add(doc, "transferred", e.amount.amount)
        case "Invoice.PaymentDeferralGranted":
            doc["deferrals"].append({
                "number": len(doc["deferrals"]) + 1, "until": e.until.isoformat(), "reason": e.reason,
                "granted_by": e.by.label, "department": e.by.department.value, "made_at": e.at.isoformat(),
                "made_by": actor(e), "revoked_at": None, "revoked_because": None, "shortened_from": None,
            })
        case "Invoice.DeferralRevoked":
            promise = doc["deferrals"][e.number - 1]
            promise["revoked_at"], promise["revoked_because"] = e.at.isoformat(), e.reason
        case "Invoice.DeferralShortened":
            promise = doc["deferrals"][e.number - 1]
            promise["shortened_from"] = promise["shortened_from"] or promise["until"]
            promise["until"] = e.until.isoformat()
        case "Invoice.DisputeOpened":
            doc["open_dispute"] = e.reason
        case "Invoice.DisputeResolved":
            doc["open_dispute"] = None
        case "Invoice.DunningLevelReached":
            doc["dunning_level"] = e.level
            doc["last_dunning_on"] = jsonable(e.at.date())
        case "Invoice.HandedToCollection":
            doc["handed_to_collection"] = True
            doc["last_dunning_on"] = jsonable(e.at.date())
        case "Complaint.Resolved":
            doc["open"] = False
        case _:
            return False
    return True



def invoice_facts(doc: Doc) -> InvoiceFacts | None:
    """What the contact rule reads of an invoice document; None when it cannot hold promotion
    back (never dunned, handed over nor disputed: its balance is not worked out)."""
    if not (doc["dunning_level"] or doc["handed_to_collection"] or doc["open_dispute"] is not None):
        return None
    return InvoiceFacts(doc["invoice_id"], account_of(doc).balance, doc["dunning_level"], doc["handed_to_collection"],
                        doc["open_dispute"] is not None)
