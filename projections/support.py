"""Support's view: complaints with their history, orders by product group, and per invoice the
detailed invoices asked for and when they were answered. What an invoice comes to, its status,
holds and promises support reads from billing's documents (read_models.support_view), so both
departments are shown one standing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from projections.batch import Batch
from projections.encoding import actor, event_type, payload

VIEW = "support"


def _history(e: Any, name: str) -> dict[str, Any]:
    return {"type": name, "at": e.at.isoformat(), "by": actor(e), **payload(e)}


def project(batch: Batch, event: Any, position: int) -> None:
    """Fold one event into support's documents (no I/O; updates the batch's working set)."""
    key = event.originator_id.hex
    name = event_type(event)
    if name == "Complaint.Filed":
        batch.put(VIEW, key, {
            "kind": "complaint", "customer_id": event.customer_id,
            "complaint_id": event.complaint_id, "order_id": event.order_id,
            "product_group": event.product_group, "text": event.text, "status": "open",
            "history": [_history(event, name)], "position": position,
        })
        return
    if name == "Order.Placed":
        batch.put(VIEW, key, {
            "kind": "order", "customer_id": event.customer_id, "order_id": event.order_id,
            "status": "placed", "product_groups": sorted({ln.product_group for ln in event.lines}),
            "placed_at": event.at.isoformat(), "currency": event.currency,
            "total": str(sum((ln.unit_price * ln.quantity for ln in event.lines), Decimal(0))),
            "delivered_at": None, "position": position,
        })
        return
    if name == "Invoice.Issued":
        batch.put(VIEW, key, {
            "kind": "invoice", "customer_id": event.customer_id, "invoice_id": event.invoice_id,
            "order_id": event.order_id, "detailed_invoice_requests": [], "position": position,
        })
        return
    doc = batch.get(VIEW, key)
    if doc is None:
        return
    if _apply(doc, name, event):
        doc["position"] = position
        batch.put(VIEW, key, doc)


def _apply(doc: dict[str, Any], name: str, e: Any) -> bool:
    match name:
        case "Complaint.Answered":
            doc["status"] = "answered"
            doc["history"].append(_history(e, name))
        case "Complaint.Resolved":
            doc["status"] = "resolved"
            doc["history"].append(_history(e, name))
        case "Order.Shipped" | "Order.Delivered" | "Order.Cancelled":
            doc["status"] = name.removeprefix("Order.").lower()
            if name == "Order.Delivered":
                doc["delivered_at"] = e.at.isoformat()
        case "Order.Returned":
            doc["status"] = "returned" if e.whole else "partially returned"
        case "Invoice.DetailedInvoiceRequested":
            doc["detailed_invoice_requests"].append(
                {"requested_at": e.at.isoformat(), "note": e.note, "requested_by": actor(e), "answered_at": None}
            )
        case "Invoice.CorrectedInvoiceIssued":
            for request in doc["detailed_invoice_requests"]:
                request["answered_at"] = request["answered_at"] or e.at.isoformat()
        case _:
            return False
    return True
