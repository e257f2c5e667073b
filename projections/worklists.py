"""What finding and listing answers, shaped from a ListPage or a Snapshot (no I/O).

Invoices are rendered by ``read_models.invoice_view``, the one place that says what billing
sees of an invoice; time-dependent facts (ages, days past due, buckets, holds) are computed here
with the clock's today, never stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from domain.currencies import format_amount
from domain.holds import DunningPolicy
from projections import billing, customers, support
from projections.batch import Doc, Snapshot
from projections.list_queries import BUCKETS, ListPage, amount_of, bucket_of
from projections.read_models import invoice_view, open_complaints_by_order


def contacts(snapshot: Snapshot) -> dict[str, Doc]:
    """The contact data of every customer in the snapshot, by customer id."""
    return {d["customer_id"]: customers.contact(d) for d in snapshot.of(customers.VIEW, "customer")}


def with_contacts(items: list[Doc], snapshot: Snapshot) -> list[Doc]:
    """``items`` (each naming a ``customer_id``), each with its customer's contact data."""
    known = contacts(snapshot)
    return [{**item, "customer": known.get(item["customer_id"])} for item in items]


def _invoice(doc: Doc, by_order: dict[str, list[str]], today: date, policy: DunningPolicy) -> Doc:
    return invoice_view(doc, by_order.get(doc["order_id"], []), today, policy)


def _docs(snapshot: Snapshot, view: str) -> dict[str, Doc]:
    return {k: d for v, k, d in snapshot.docs if v == view}


def _complaint(doc: Doc, today: date) -> Doc:
    filed = datetime.fromisoformat(doc["history"][0]["at"]).astimezone(UTC)
    return {
        "complaint_id": doc["complaint_id"], "customer_id": doc["customer_id"], "order_id": doc["order_id"],
        "product_group": doc["product_group"], "text": doc["text"], "status": doc["status"],
        "filed_at": filed.isoformat(), "age_days": (today - filed.date()).days,
    }


def _paged(page: ListPage, items: list[Doc], name: str, cursor: str | None, **extra: Any) -> Doc:
    return {"position": page.snapshot.position, **extra, name: items, "next_cursor": cursor}


def customers_page(page: ListPage, cursor: str | None) -> Doc:
    """A page of customers with their contact data."""
    docs = _docs(page.snapshot, customers.VIEW)
    return _paged(page, [customers.contact(docs[r.key]) for r in page.rows], "customers", cursor)


def complaints_page(page: ListPage, cursor: str | None, today: date) -> Doc:
    """A page of open complaints, oldest first, with their age and the customer's contact data."""
    docs = _docs(page.snapshot, support.VIEW)
    items = with_contacts([_complaint(docs[r.key], today) for r in page.rows], page.snapshot)
    return _paged(page, items, "complaints", cursor, as_of=today.isoformat())


def collection_page(page: ListPage, cursor: str | None, today: date, policy: DunningPolicy) -> Doc:
    """A page of the invoices handed to collection that are not settled, oldest due first."""
    docs, by_order = _docs(page.snapshot, billing.VIEW), open_complaints_by_order(page.snapshot)
    items = with_contacts([_invoice(docs[r.key], by_order, today, policy) for r in page.rows], page.snapshot)
    return _paged(page, items, "invoices", cursor, as_of=today.isoformat())


def receivables_page(page: ListPage, cursor: str | None, today: date, policy: DunningPolicy) -> Doc:
    """A page of open receivables, oldest due first, each with its days past due and bucket,
    and the totals of every bucket per currency (of all receivables, not only this page's)."""
    docs, by_order = _docs(page.snapshot, billing.VIEW), open_complaints_by_order(page.snapshot)
    items = []
    for row in page.rows:
        days, bucket = bucket_of(docs[row.key]["due_date"], today)
        items.append({**_invoice(docs[row.key], by_order, today, policy), "days_past_due": days, "bucket": bucket})
    totals = [
        {"bucket": BUCKETS[t.band], "currency": t.currency, "balance": format_amount(amount_of(t.amount), t.currency),
         "invoices": t.count}
        for t in page.totals
    ]
    return _paged(page, with_contacts(items, page.snapshot), "invoices", cursor, as_of=today.isoformat(), totals=totals)


def _one(snapshot: Snapshot, view: str, key: str) -> Doc | None:
    return _docs(snapshot, view).get(key)


def invoice_detail(snapshot: Snapshot, key: str, today: date, policy: DunningPolicy) -> Doc | None:
    """One invoice as billing sees it, with the customer's contact data; None when unknown."""
    doc = _one(snapshot, billing.VIEW, key)
    if doc is None:
        return None
    invoice = _invoice(doc, open_complaints_by_order(snapshot), today, policy)
    return {"position": snapshot.position, "as_of": today.isoformat(), "invoice": invoice,
            "customer": contacts(snapshot).get(doc["customer_id"])}


def complaint_detail(snapshot: Snapshot, key: str, today: date) -> Doc | None:
    """One complaint as support sees it, with its history and the customer's contact data."""
    doc = _one(snapshot, support.VIEW, key)
    if doc is None:
        return None
    complaint = {**_complaint(doc, today), "history": doc["history"]}
    return {"position": snapshot.position, "as_of": today.isoformat(), "complaint": complaint,
            "customer": contacts(snapshot).get(doc["customer_id"])}


def order_detail(snapshot: Snapshot, key: str, today: date, policy: DunningPolicy) -> Doc | None:
    """One order as support sees it, with its invoices as billing sees them, the complaints
    filed on it and the customer's contact data."""
    doc = _one(snapshot, support.VIEW, key)
    if doc is None:
        return None
    by_order = open_complaints_by_order(snapshot)
    invoices = [
        _invoice(d, by_order, today, policy)
        for d in snapshot.of(billing.VIEW, "invoice") if d["order_id"] == doc["order_id"]
    ]
    complaints = [
        {"complaint_id": d["complaint_id"], "product_group": d["product_group"], "status": d["status"]}
        for d in snapshot.of(support.VIEW, "complaint") if d["order_id"] == doc["order_id"]
    ]
    order = {k: doc[k] for k in ("order_id", "customer_id", "status", "product_groups")}
    return {"position": snapshot.position, "as_of": today.isoformat(), "order": order, "invoices": invoices,
            "complaints": complaints, "customer": contacts(snapshot).get(doc["customer_id"])}
