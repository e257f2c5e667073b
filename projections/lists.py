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
(``complaints_query``, ``receivables_query``) and ages, buckets and the hold rule at read time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.loyalty import TIERS, earned_since
from projections import billing, customers, loyalty, marketing, support
from projections.batch import Doc, Snapshot
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

#: Receivables buckets by days past due (not yet due counts as 0), and each one's last day.
BUCKETS = ("0-30", "31-60", "61-90", "90+")
_BUCKET_ENDS = (30, 60, 90)
#: Amounts in the table are integers of ten-thousandths (4 is the largest ISO 4217 exponent).
AMOUNT_EXPONENT = 4

_PHONE_QUERY = re.compile(r"\+?[0-9 ()/.-]+")


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


@dataclass(frozen=True)
class ListQuery:
    """What a page of a list asks: rows of ``list`` in ``sort_key`` order after ``after``, within
    [``sort_from``, ``sort_before``), of ``tag``, and, when ``text`` is given, whose ``search``
    contains it or whose ``sort_key`` starts with it or (``digits``) whose ``tag`` contains those.
    ``bands`` asks for totals of ``amount`` per currency and band of ``day`` (band i: ``day`` at
    or after ``bands[i]`` and before the bands in front of it; the last band: every earlier day).
    ``min_amount``: only rows whose ``amount`` is at least that. ``count_tags``: count the list's
    rows per ``tag`` and ``search`` where the tag starts with it (``ListPage.counts``)."""

    list: str
    after: str | None = None
    sort_from: str | None = None
    sort_before: str | None = None
    tag: str | None = None
    text: str | None = None
    digits: str | None = None
    bands: tuple[str, ...] = ()
    min_amount: int | None = None
    count_tags: str | None = None


@dataclass(frozen=True)
class Total:
    """The sum of ``amount`` (ten-thousandths) of ``count`` rows of one band in one currency."""

    band: int
    currency: str
    amount: int
    count: int


@dataclass(frozen=True)
class Count:
    """How many rows of a list carry ``tag`` and ``search``."""

    tag: str
    search: str | None
    count: int


@dataclass(frozen=True)
class ListPage:
    """A page of a list in one snapshot: its rows, the documents they show (with the contact
    data and, for billing's lists, the complaints of their customers), the totals asked for,
    and the last row's sort key when more rows follow (else None)."""

    snapshot: Snapshot
    rows: list[ListRow]
    last: str | None
    totals: list[Total] = field(default_factory=list)
    counts: list[Count] = field(default_factory=list)


def consented_query(channel: str, purpose: str) -> ListQuery:
    """The customers with a consent to ``purpose`` by ``channel`` (maybe expired or awaiting its
    confirmation: the contact rule decides)."""
    return ListQuery(CONSENTED, text=f";{channel}/{purpose};")


def campaign_query(campaign: str, outcome: str | None) -> ListQuery:
    """The contacts ``campaign`` proposed (with ``outcome`` when given), in the order decided,
    counted per outcome and reasons."""
    mine = f"{campaign}{SEP}"
    return ListQuery(CAMPAIGN_CONTACTS, sort_from=mine, sort_before=f"{campaign}\x20",
                     tag=None if outcome is None else f"{mine}{outcome}", count_tags=mine)


def card_holders_query(tier: str | None) -> ListQuery:
    """The loyalty card holders, by customer id; of ``tier`` (its rows that can reach it)."""
    if tier is None:
        return ListQuery(CARD_HOLDERS)
    least = next(t.from_points for t in TIERS if t.name == tier)
    return ListQuery(CARD_HOLDERS, min_amount=least or None)


def customer_search(q: str | None) -> ListQuery:
    """Customers whose name or email contains ``q``, whose id starts with it (case-insensitive)
    or, when ``q`` is a phone number (3 digits or more), whose phone contains its digits."""
    text = (q or "").strip().casefold()
    if not text:
        return ListQuery(CUSTOMERS)
    wanted = digits(text) if _PHONE_QUERY.fullmatch(text) else ""
    return ListQuery(CUSTOMERS, text=text, digits=wanted if len(wanted) >= 3 else None)


def complaints_query(product_group: str | None, min_age_days: int | None, today: date) -> ListQuery:
    """Open complaints of ``product_group`` filed at least ``min_age_days`` days before today."""
    before = None if not min_age_days else (today - timedelta(days=min_age_days - 1)).isoformat()
    return ListQuery(OPEN_COMPLAINTS, tag=product_group, sort_before=before)


def bucket_of(due_date: str, today: date) -> tuple[int, str]:
    """Days past due (0 while not yet due) and the receivables bucket they fall in."""
    days = max((today - date.fromisoformat(due_date)).days, 0)
    return days, next((b for b, end in zip(BUCKETS, _BUCKET_ENDS, strict=False) if days <= end), BUCKETS[-1])


def bucket_bands(today: date) -> tuple[str, ...]:
    """The first due date of each bucket but the last (the bands of ``ListQuery.bands``)."""
    return tuple((today - timedelta(days=end)).isoformat() for end in _BUCKET_ENDS)


def receivables_query(bucket: str | None, today: date) -> ListQuery:
    """Open receivables (of ``bucket`` when given), with the totals of every bucket."""
    bands = bucket_bands(today)
    if bucket is None:
        return ListQuery(RECEIVABLES, bands=bands)
    i = BUCKETS.index(bucket)
    since = bands[i] if i < len(bands) else None
    # Due dates lead the sort key: bucket i is [its first due date, the previous bucket's first).
    until = bands[i - 1] if i else None
    return ListQuery(RECEIVABLES, sort_from=since, sort_before=until, bands=bands)


def amount_of(total: int) -> Decimal:
    """A table amount (ten-thousandths) as a Decimal of the currency."""
    return Decimal(total).scaleb(-AMOUNT_EXPONENT)
