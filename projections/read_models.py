"""What each department reads, shaped from a Snapshot. Time-dependent facts (status, active
deferrals, holds, whether dunning may proceed) are computed here, at read time, through the
domain's one derivation (``domain.invoice_facts``), so every view shows an invoice with the same
words and values, and exactly what a dunning decision would check."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from domain.currencies import format_amount
from domain.holds import Deferral, DunningPolicy, InvoiceStanding, deferral_active
from domain.invoice_facts import InvoiceStatus, invoice_facts
from projections import customers
from projections.batch import Doc, Snapshot
from projections.encoding import account_of, jsonable


def standing(invoice: Doc, open_complaints: list[str]) -> InvoiceStanding:
    """The hold rule's facts from a billing invoice document: its promises not revoked."""
    return InvoiceStanding(
        due_date=date.fromisoformat(invoice["due_date"]),
        balance=account_of(invoice).net,
        open_detailed_requests=tuple(invoice["open_detailed_requests"]),
        deferrals=tuple(
            Deferral(date.fromisoformat(d["until"]), d["reason"], d["granted_by"], d.get("number", n), d.get("department", ""))
            for n, d in enumerate(invoice["deferrals"], 1)
            if not d.get("revoked_at")
        ),
        open_dispute=invoice["open_dispute"],
        open_complaints=tuple(open_complaints),
        dunning_level=invoice["dunning_level"],
        last_dunning_on=(
            date.fromisoformat(invoice["last_dunning_on"]) if invoice["last_dunning_on"] else None
        ),
        handed_to_collection=invoice["handed_to_collection"],
    )


def open_complaints_by_order(snapshot: Snapshot) -> dict[str, list[str]]:
    """The open complaints of each order, as billing knows them."""
    by_order: dict[str, list[str]] = defaultdict(list)
    for complaint in snapshot.of("billing", "complaint"):
        if complaint["open"]:
            by_order[complaint["order_id"]].append(complaint["complaint_id"])
    return by_order


def invoice_view(invoice: Doc, open_complaints: list[str], today: date, policy: DunningPolicy) -> Doc:
    """One invoice as every department is shown it (billing, support, the invoice page, the
    worklists): the same words and values wherever it appears. Amounts are written with the
    currency's exponent."""
    facts = invoice_facts(standing(invoice, open_complaints), account_of(invoice), today, policy)
    currency = invoice["currency"]

    def money(amount: Decimal | str) -> str:
        return format_amount(Decimal(amount), currency)

    return {
        "invoice_id": invoice["invoice_id"],
        "order_id": invoice["order_id"],
        "customer_id": invoice["customer_id"],
        "currency": currency,
        "amount": money(invoice["amount"]),
        "paid": money(invoice["paid"]),
        "credited": money(invoice["credited"]),
        "written_off": money(invoice.get("written_off", "0")),
        "offset_in": money(invoice.get("applied", "0")),
        "offset_out": money(invoice.get("transferred", "0")),
        "balance": money(facts.balance),
        "credit": money(facts.credit),
        "due_date": facts.due_date.isoformat(),
        "status": facts.status.value,
        "dunning_level": facts.dunning_level,
        "last_dunning_on": invoice["last_dunning_on"],
        "handed_to_collection": invoice["handed_to_collection"],
        "holds": jsonable(list(facts.holds)),
        "next_step": facts.next_step and facts.next_step.value,
        "may_dun": facts.may_dun,
        "may_hand_to_collection": facts.may_hand_to_collection,
        "dunning_refusals": [{"code": r.code, "detail": r.detail} for r in facts.refusals],
        "position": invoice["position"],
    }


def per_currency(invoices: Iterable[Doc], key: str) -> dict[str, str]:
    """The sum of ``key`` (an amount) over ``invoices`` per currency, leaving out zero sums."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for invoice in invoices:
        if Decimal(invoice[key]) > 0:
            sums[invoice["currency"]] += Decimal(invoice[key])
    return {currency: format_amount(total, currency) for currency, total in sorted(sums.items())}


def promises(invoices: Iterable[Doc], today: date) -> list[Doc]:
    """Every promise (payment deferral) made on ``invoices``: who made it, until when, whether
    it still holds today, and whether it was revoked or shortened."""
    return [
        {
            "invoice_id": i["invoice_id"],
            "number": d.get("number", n),
            "kind": "payment-deferral",
            "until": d["until"],
            "reason": d["reason"],
            "made_at": d.get("made_at"),
            "made_by": d.get("made_by"),
            "granted_by": d["granted_by"],
            "revoked_at": d.get("revoked_at"),
            "revoked_because": d.get("revoked_because"),
            "shortened_from": d.get("shortened_from"),
            "active": not d.get("revoked_at") and deferral_active(date.fromisoformat(d["until"]), today),
        }
        for i in invoices
        for n, d in enumerate(i["deferrals"], 1)
    ]


def _invoices(
    snapshot: Snapshot, complaints: dict[str, list[str]], today: date, policy: DunningPolicy
) -> tuple[list[Doc], list[Doc]]:
    """Billing's invoice documents and their views, in the same order."""
    docs = snapshot.of("billing", "invoice")
    return docs, [invoice_view(d, complaints.get(d["order_id"], []), today, policy) for d in docs]


def _shared(snapshot: Snapshot, today: date, policy: DunningPolicy) -> Doc:
    """The facts billing and support both show about a customer, derived once."""
    complaints = open_complaints_by_order(snapshot)
    docs, invoices = _invoices(snapshot, complaints, today, policy)
    profile = snapshot.of(customers.VIEW)
    return {
        "position": snapshot.position,
        "as_of": today.isoformat(),
        "customer": customers.contact(profile[0]) if profile else None,
        "open_complaints": sorted(c for cs in complaints.values() for c in cs),
        "promises": promises(docs, today),
        "customer_credit": per_currency(invoices, "credit"),
        "invoices": invoices,
    }


def billing_view(snapshot: Snapshot, today: date, policy: DunningPolicy) -> Doc:
    """Billing's view of one customer: its contact data, invoices, open balance, overdue,
    dunning, holds, and the complaints and promises that hold its invoices."""
    shared = _shared(snapshot, today, policy)
    invoices = shared["invoices"]
    return {
        **shared,
        "open_balance": per_currency(invoices, "balance"),
        "overdue": [i["invoice_id"] for i in invoices if i["status"] == InvoiceStatus.OVERDUE],
        "in_collection": [i["invoice_id"] for i in invoices if i["status"] == InvoiceStatus.IN_COLLECTION],
    }


def dunning_candidates(snapshot: Snapshot, today: date, policy: DunningPolicy) -> Doc:
    """Every overdue invoice, of all customers, that the hold rule lets billing take its next
    step on today: the next dunning level, or after the final notice the collection hand-off."""
    _, invoices = _invoices(snapshot, open_complaints_by_order(snapshot), today, policy)
    candidates = [i for i in invoices if i["next_step"] is not None]
    return {"position": snapshot.position, "as_of": today.isoformat(), "candidates": candidates}


def support_view(snapshot: Snapshot, today: date, policy: DunningPolicy) -> Doc:
    """Support's view of one customer: complaints per product group with their history, the
    detailed invoices asked for and not yet sent, orders; and, read-only, the billing standing
    of the customer's invoices, its promises and its credit, exactly as billing is shown them."""
    complaints = snapshot.of("support", "complaint")
    by_group: dict[str, list[Doc]] = defaultdict(list)
    for complaint in complaints:
        by_group[complaint["product_group"]].append(complaint)
    outstanding = [
        {**r, "invoice_id": i["invoice_id"]}
        for i in snapshot.of("support", "invoice")
        for r in i["detailed_invoice_requests"]
        if r["answered_at"] is None
    ]
    return {
        **_shared(snapshot, today, policy),
        "complaints_by_product_group": dict(sorted(by_group.items())),
        "open_detailed_invoice_requests": outstanding,
        "orders": snapshot.of("support", "order"),
    }


def journey_view(snapshot: Snapshot) -> Doc:
    """Every touchpoint of one customer in stream order."""
    return {"position": snapshot.position, "touchpoints": [entry for _, entry in snapshot.entries]}
