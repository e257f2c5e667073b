"""What each department reads, shaped from a Snapshot. Time-dependent facts (overdue, active
deferrals, holds, whether dunning may proceed) are computed here, at read time, through the
domain's hold rule, so a view shows exactly what a dunning decision would check."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from domain.holds import (
    Deferral,
    DunningPolicy,
    InvoiceStanding,
    active_holds,
    deferral_active,
    dunning_refusals,
    is_overdue,
)
from projections.batch import Doc, Snapshot
from projections.encoding import account_of, jsonable


def standing(invoice: Doc, open_complaints: list[str]) -> InvoiceStanding:
    """The hold rule's facts from a billing invoice document."""
    return InvoiceStanding(
        due_date=date.fromisoformat(invoice["due_date"]),
        balance=account_of(invoice).net,
        open_detailed_requests=tuple(invoice["open_detailed_requests"]),
        deferrals=tuple(
            Deferral(date.fromisoformat(d["until"]), d["reason"], d["granted_by"])
            for d in invoice["deferrals"]
        ),
        open_dispute=invoice["open_dispute"],
        open_complaints=tuple(open_complaints),
        dunning_level=invoice["dunning_level"],
        last_dunning_on=(
            date.fromisoformat(invoice["last_dunning_on"]) if invoice["last_dunning_on"] else None
        ),
        handed_to_collection=invoice["handed_to_collection"],
    )


def _complaints_by_order(snapshot: Snapshot) -> dict[str, list[str]]:
    """The open complaints of each order, as billing knows them."""
    by_order: dict[str, list[str]] = defaultdict(list)
    for complaint in snapshot.of("billing", "complaint"):
        if complaint["open"]:
            by_order[complaint["order_id"]].append(complaint["complaint_id"])
    return by_order


def billing_invoice(invoice: Doc, open_complaints: list[str], today: date, policy: DunningPolicy) -> Doc:
    facts = standing(invoice, open_complaints)
    account = account_of(invoice)
    refusals = dunning_refusals(facts, today, policy)
    may_hand_off = not dunning_refusals(facts, today, policy, hand_off=True)
    status = account.settled_by or ("overdue" if is_overdue(facts.due_date, today) else "open")
    return {
        "invoice_id": invoice["invoice_id"],
        "order_id": invoice["order_id"],
        "amount": invoice["amount"],
        "paid": invoice["paid"],
        "credited": invoice["credited"],
        "balance": str(account.balance),
        "credit": str(account.credit),
        "currency": invoice["currency"],
        "due_date": invoice["due_date"],
        "status": status,
        "dunning_level": invoice["dunning_level"],
        "last_dunning_on": invoice["last_dunning_on"],
        "handed_to_collection": invoice["handed_to_collection"],
        "holds": jsonable(active_holds(facts, today)),
        "may_dun": not refusals,
        "may_hand_to_collection": may_hand_off,
        "dunning_refusals": [{"code": r.code, "detail": r.detail} for r in refusals],
        "position": invoice["position"],
    }


def per_currency(invoices: list[Doc], key: str) -> dict[str, str]:
    """The sum of ``key`` (an amount) over ``invoices`` per currency, leaving out zero sums."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for invoice in invoices:
        if Decimal(invoice[key]) > 0:
            sums[invoice["currency"]] += Decimal(invoice[key])
    return {currency: str(total) for currency, total in sorted(sums.items())}


def billing_view(snapshot: Snapshot, today: date, policy: DunningPolicy) -> Doc:
    """Billing's view of one customer: invoices, open balance, overdue, dunning, holds."""
    complaints = _complaints_by_order(snapshot)
    invoices = [
        billing_invoice(d, complaints.get(d["order_id"], []), today, policy)
        for d in snapshot.of("billing", "invoice")
    ]
    return {
        "position": snapshot.position,
        "as_of": today.isoformat(),
        "open_balance": per_currency(invoices, "balance"),
        "customer_credit": per_currency(invoices, "credit"),
        "overdue": [i["invoice_id"] for i in invoices if i["status"] == "overdue"],
        "open_complaints": sorted(c for cs in complaints.values() for c in cs),
        "invoices": invoices,
    }


def dunning_candidates(snapshot: Snapshot, today: date, policy: DunningPolicy) -> Doc:
    """Every overdue invoice, of all customers, that the hold rule lets billing take its next
    step on today: the next dunning level, or after the final notice the collection hand-off."""
    complaints = _complaints_by_order(snapshot)
    candidates = []
    for doc in snapshot.of("billing", "invoice"):
        invoice = billing_invoice(doc, complaints.get(doc["order_id"], []), today, policy)
        if invoice["may_dun"] or invoice["may_hand_to_collection"]:
            step = "dunning" if invoice["may_dun"] else "collection"
            candidates.append({"customer_id": doc["customer_id"], "next_step": step, **invoice})
    return {"position": snapshot.position, "as_of": today.isoformat(), "candidates": candidates}


def support_view(snapshot: Snapshot, today: date) -> Doc:
    """Support's view of one customer: complaints per product group with their history, the
    promises made (deferrals), detailed invoices still outstanding, invoices open, paid or
    credited, and what the customer has in excess (``customer_credit`` per currency)."""
    complaints = snapshot.of("support", "complaint")
    by_group: dict[str, list[Doc]] = defaultdict(list)
    for complaint in complaints:
        by_group[complaint["product_group"]].append(complaint)
    invoices = snapshot.of("support", "invoice")
    promises = [
        {**p, "invoice_id": i["invoice_id"], "active": deferral_active(date.fromisoformat(p["until"]), today)}
        for i in invoices
        for p in i["promises"]
    ]
    outstanding = [
        {**r, "invoice_id": i["invoice_id"]}
        for i in invoices
        for r in i["detailed_invoice_requests"]
        if r["answered_at"] is None
    ]
    shown = [
        {
            "invoice_id": i["invoice_id"],
            "order_id": i["order_id"],
            "credited": i["credited"],
            "outstanding": i["outstanding"],
            "credit": i["credit"],
            "currency": i["currency"],
            "status": account_of(i).settled_by or "open",
        }
        for i in invoices
    ]
    return {
        "position": snapshot.position,
        "as_of": today.isoformat(),
        "open_complaints": [c["complaint_id"] for c in complaints if c["status"] != "resolved"],
        "complaints_by_product_group": dict(sorted(by_group.items())),
        "promises": promises,
        "open_detailed_invoice_requests": outstanding,
        "customer_credit": per_currency(shown, "credit"),
        "invoices": shown,
        "orders": snapshot.of("support", "order"),
    }


def journey_view(snapshot: Snapshot) -> Doc:
    """Every touchpoint of one customer in stream order."""
    return {"position": snapshot.position, "touchpoints": [entry for _, entry in snapshot.entries]}
