"""The list rows: what finding and listing needs of each document, in one table of the read store.

A row is derived from one view document after the fold, by ``list_rows`` alone, and names the
list it belongs to, a ``sort_key`` (unique within its list: pages follow it, so a cursor stays
valid whatever is inserted meanwhile) and a few filter columns:

- ``customers`` (customers view): sorted by the customer id (case-folded, then as written);
  ``search`` holds the case-folded name and email, ``tag`` the phone's digits.
- ``open-complaints`` (support view; not resolved): sorted by the time filed, oldest first
  (then by complaint id); ``tag`` is the product group, ``day`` the day filed (UTC).
- ``in-collection`` (billing view): invoices handed to collection with a balance;
- ``receivables`` (billing view): open invoices with a balance, not handed to collection;
  both sorted by due date, oldest first (then by invoice id), with ``day`` the due date and
  ``amount`` the balance in ten-thousandths of the currency (exact for every ISO 4217
  exponent, summed by the database).
- ``complaints`` (support view): every complaint, resolved or not, with the same columns as
  ``open-complaints`` (which holds the unresolved ones);
- ``orders`` (support view): every order not cancelled, by the time placed (then order id), with
  ``day`` the day placed and ``amount`` its value; ``deliveries``: the delivered ones, by the
  time delivered (the campaigns find dormant and top customers and recent deliveries here);
- ``customers`` rows carry the birthday's month and day (``MM-DD``) in ``day``;
- ``consented`` (marketing view): the customers with a consent recorded, by customer id; the
  contact rule decides at read time whether one may be contacted now (worklist "contactable");
- ``outbox`` (marketing view): the contact books with contacts made and not yet handed to the
  mailing tool, one row each, in the order of their oldest such contact (its position).
- ``campaign-contacts`` (marketing view): one row per contact a campaign proposed (made or
  refused), sorted by campaign, then position; ``tag`` is ``campaign<US>outcome`` (made,
  handed-over, delivered, bounced, opened, refused, cancelled), ``search`` the refusal's reasons
  (``;code;code;``), ``day`` the day decided. A document has as many rows in a list as it names.
- ``holding-invoices`` (billing view): the invoices that hold promotion back whatever the
  policy's level (domain.contact.holds_from): a balance with a dunning level or a hand-off to
  collection, or an open dispute; by customer, then invoice id. The contact rule's reads of
  many customers ask for these invoices only, not every invoice (``Wanted.listed``).
- ``card-holders`` (loyalty view): one row per loyalty card, by customer id; ``amount`` holds the
  points the card ever earned net of reversals: a bound the tier (points of 365 days) never
  exceeds, so a tier's page asks the database for those rows only and the tier is decided at
  read time.

Rows hold no time-dependent fact: a read turns today into ranges of ``sort_key`` and ``day``
(``projections.list_queries``) and ages, buckets and the hold rule at read time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from domain.loyalty import earned_since
from projections import billing, customers, loyalty, marketing, support
from projections.batch import Doc
from projections.encoding import account_of

CUSTOMERS = "customers"
OPEN_COMPLAINTS = "open-complaints"
IN_COLLECTION = "in-collection"
RECEIVABLES = "receivables"
OUTBOX = "outbox"
COMPLAINTS = "complaints"
ORDERS = "orders"
DELIVERIES = "deliveries"
CONSENTED = "consented"
CAMPAIGN_CONTACTS = "campaign-contacts"
CARD_HOLDERS = "card-holders"
HOLDING_INVOICES = "holding-invoices"
#: Separates a campaign from what follows it in a sort key or tag (sorts before every label).
SEP = "\x1f"

#: The view each list is derived from; a page shows that view's documents of its rows.
SOURCES = {
    CUSTOMERS: customers.VIEW,
    OPEN_COMPLAINTS: support.VIEW,
    IN_COLLECTION: billing.VIEW,
    RECEIVABLES: billing.VIEW,
    OUTBOX: marketing.VIEW,
    COMPLAINTS: support.VIEW,
    ORDERS: support.VIEW,
    DELIVERIES: support.VIEW,
    CONSENTED: marketing.VIEW,
    CAMPAIGN_CONTACTS: marketing.VIEW,
    CARD_HOLDERS: loyalty.VIEW,
    HOLDING_INVOICES: billing.VIEW,
}
#: The lists each view feeds (a changed document rewrites its rows in exactly these).
FED_BY = {view: tuple(name for name, source in SOURCES.items() if source == view) for view in set(SOURCES.values())}

#: Amounts in the table are integers of ten-thousandths (4 is the largest ISO 4217 exponent).
AMOUNT_EXPONENT = 4



@dataclass(frozen=True)
class ListRow:
    """One document in one list; ``key`` is the document's aggregate id (hex)."""

    list: str
    key: str
    sort_key: str
    customer_id: str
    tag: str | None = None
    day: str | None = None
    currency: str | None = None
    amount: int | None = None
    search: str | None = None


def digits(text: str | None) -> str:
    """The digits of a phone number: spaces and punctuation do not matter when searching."""
    return "".join(ch for ch in text or "" if ch.isdigit())


def _utc(at: str) -> str:
    """A recorded time as a fixed-width UTC string, so strings sort as the times do."""
    return datetime.fromisoformat(at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def list_rows(view: str, key: str, doc: Doc) -> list[ListRow]:
    """The rows of one view document in every list (none for most documents)."""
    rows = _ROWS.get((view, doc["kind"]))
    return [] if rows is None else rows(key, doc)


def _amount(value: Decimal) -> int:
    return int(value.scaleb(AMOUNT_EXPONENT).to_integral_value())


def _customer_rows(key: str, doc: Doc) -> list[ListRow]:
    customer_id = doc["customer_id"]
    search = f"{doc['name'].casefold()}\x1f{doc['email'].casefold()}"
    return [ListRow(CUSTOMERS, key, f"{customer_id.casefold()}\x1f{customer_id}", customer_id,
                    tag=digits(doc["phone"]) or None, search=search, day=month_day(doc.get("birthday")))]


def month_day(birthday: Any) -> str | None:
    """``MM-DD`` of an ISO birthday; None for none, or one that reads as erased."""
    if isinstance(birthday, str) and len(birthday) == 10 and birthday[4] == "-":
        return birthday[5:]
    return None


def _complaint_rows(key: str, doc: Doc) -> list[ListRow]:
    filed = _utc(doc["history"][0]["at"])
    sort_key, group = f"{filed}|{doc['complaint_id']}", doc["product_group"]
    rows = [ListRow(COMPLAINTS, key, sort_key, doc["customer_id"], tag=group, day=filed[:10])]
    if doc["status"] != "resolved":
        rows.append(ListRow(OPEN_COMPLAINTS, key, sort_key, doc["customer_id"], tag=group, day=filed[:10]))
    return rows


def _order_rows(key: str, doc: Doc) -> list[ListRow]:
    if doc["status"] == "cancelled" or "placed_at" not in doc:  # (a document projected before orders were listed)
        return []
    placed = _utc(doc["placed_at"])
    rows = [ListRow(ORDERS, key, f"{placed}|{doc['order_id']}", doc["customer_id"], day=placed[:10],
                    currency=doc["currency"], amount=_amount(Decimal(doc["total"])))]
    if doc.get("delivered_at"):
        delivered = _utc(doc["delivered_at"])
        rows.append(ListRow(DELIVERIES, key, f"{delivered}|{doc['order_id']}", doc["customer_id"], day=delivered[:10]))
    return rows


def _invoice_rows(key: str, doc: Doc) -> list[ListRow]:
    balance, rows, facts = account_of(doc).balance, [], billing.invoice_facts(doc)
    if facts is not None and facts.holds_back:
        rows.append(ListRow(HOLDING_INVOICES, key, f"{doc['customer_id']}{SEP}{doc['invoice_id']}", doc["customer_id"]))
    if balance <= 0:
        return rows
    name = IN_COLLECTION if doc["handed_to_collection"] else RECEIVABLES
    return [*rows, ListRow(name, key, f"{doc['due_date']}|{doc['invoice_id']}", doc["customer_id"], day=doc["due_date"],
                           currency=doc["currency"], amount=_amount(balance))]


def _book_rows(key: str, book: Doc) -> list[ListRow]:
    """A contact book's rows: in the outbox while a contact made awaits the mailing tool (sorted
    by the oldest such contact's position); among the consented while a consent is recorded
    (by customer id, ``search`` naming every ``;channel/purpose;`` consented to)."""
    rows, customer_id = [], book["customer_id"]
    pending = [c for c in book["contacts"] if c["status"] == "made"]
    if pending:
        rows.append(ListRow(OUTBOX, key, f"{pending[0]['position']:012d}", customer_id, day=pending[0]["at"][:10]))
    if book["consents"]:
        routes = ";".join(sorted(f"{c['channel']}/{c['purpose']}" for c in book["consents"].values()))
        rows.append(ListRow(CONSENTED, key, f"{customer_id.casefold()}\x1f{customer_id}", customer_id,
                            search=f";{routes};"))
    for x in book["contacts"]:
        if x.get("campaign") is not None:
            reasons = ";".join(r["code"] for r in x["reasons"])
            rows.append(ListRow(CAMPAIGN_CONTACTS, key, f"{x['campaign']}{SEP}{x['position']:012d}", customer_id,
                                tag=f"{x['campaign']}{SEP}{x['status']}", day=_utc(x["at"])[:10],
                                search=f";{reasons};" if reasons else None))
    return rows


def _card_rows(key: str, card: Doc) -> list[ListRow]:
    customer_id = card["customer_id"]
    earned = earned_since(loyalty.lots_of(card), date.min)
    return [ListRow(CARD_HOLDERS, key, f"{customer_id.casefold()}{SEP}{customer_id}", customer_id, amount=earned)]


#: The rows of each kind of document, by (view, kind).
_ROWS = {
    (customers.VIEW, "customer"): _customer_rows,
    (support.VIEW, "complaint"): _complaint_rows,
    (support.VIEW, "order"): _order_rows,
    (billing.VIEW, "invoice"): _invoice_rows,
    (marketing.VIEW, "contact-book"): _book_rows,
    (loyalty.VIEW, "loyalty-card"): _card_rows,
}
