"""Billing's view: per invoice what is owed, promised and dunned; per order its open complaints."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from projections.batch import Batch
from projections.encoding import actor, jsonable

VIEW = "billing"


def project(batch: Batch, event: Any, position: int) -> None:
    """Fold one event into billing's documents (no I/O; updates the batch's working set)."""
    key = event.originator_id.hex
    name = type(event).__qualname__
    if name == "Invoice.Issued":
        batch.put(VIEW, key, {
            "kind": "invoice", "customer_id": event.customer_id, "invoice_id": event.invoice_id,
            "order_id": event.order_id, "amount": str(event.amount.amount),
            "currency": event.amount.currency, "paid": "0", "due_date": event.due_date.isoformat(),
            "issued_at": event.at.isoformat(), "open_detailed_requests": [], "deferrals": [],
            "open_dispute": None, "dunning_level": 0, "last_dunning_on": None,
            "handed_to_collection": False, "corrections": 0, "position": position,
        })
        return
    if name == "Order.Placed":
        batch.put(VIEW, key, {
            "kind": "order", "customer_id": event.customer_id, "order_id": event.order_id,
            "open_complaints": [], "position": position,
        })
        return
    doc = batch.get(VIEW, key)
    if doc is None:
        return
    if _apply(doc, name, event):
        doc["position"] = position
        batch.put(VIEW, key, doc)


def _apply(doc: dict[str, Any], name: str, e: Any) -> bool:  # noqa: PLR0911
    match name:
        case "Invoice.DetailedInvoiceRequested":
            doc["open_detailed_requests"].append(e.note or "detailed invoice requested")
        case "Invoice.CorrectedInvoiceIssued":
            doc["open_detailed_requests"] = []
            doc["corrections"] += 1
            if e.amount is not None:
                doc["amount"] = str(e.amount.amount)
            if e.due_date is not None:
                doc["due_date"] = e.due_date.isoformat()
        case "Invoice.PaymentReceived":
            doc["paid"] = str(Decimal(doc["paid"]) + e.amount.amount)
        case "Invoice.PaymentDeferralGranted":
            by = actor(e)
            doc["deferrals"].append({
                "until": e.until.isoformat(), "reason": e.reason,
                "granted_by": f"{by['department']}:{by['user'] or by['source'] or 'unknown'}",
            })
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
        case "Order.ComplaintOpened":
            doc["open_complaints"].append(e.complaint_id)
        case "Order.ComplaintClosed":
            doc["open_complaints"].remove(e.complaint_id)
        case _:
            return False
    return True

