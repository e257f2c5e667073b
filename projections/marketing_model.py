"""What marketing is shown: a customer's consents, preferences, holds, the contact rule's answer
for every channel and purpose now (with the next allowed contact), and every contact with its
outcome; the outbox, the contacts made and not yet handed to the mailing tool; and the campaign
outcomes: what each campaign's contacts came to, counted and listed.

The rule's facts come from the same documents a read shows (the contact book's, billing's
invoices, support's complaints, the customer's), so what marketing sees allowed is what a
contact made at that position is checked against (``domain.contact``)."""

from __future__ import annotations

from datetime import date, datetime

from domain.contact import (
    Channel,
    Consent,
    ContactPolicy,
    ContactStanding,
    CustomerHolds,
    Made,
    Purpose,
    contact_refusals,
    holds_from,
    next_allowed,
    preferences_of,
)
from projections import billing, customers, lists, marketing, support
from projections.batch import Doc, Snapshot, Wanted
from projections.list_queries import Count, ListPage
from projections.lists import SEP

#: What the contact rule reads of a customer (``ReadStore.read_customers``): his contact book
#: and profile, and only the invoices and complaints that can hold promotion back.
BOOK = Wanted(marketing.VIEW, ("contact-book",))
PROFILE = Wanted(customers.VIEW, ("customer",))
HOLDING_INVOICES = Wanted(billing.VIEW, ("invoice",), lists.HOLDING_INVOICES)
OPEN_COMPLAINTS = Wanted(support.VIEW, ("complaint",), lists.OPEN_COMPLAINTS)
RULE_READS = (BOOK, PROFILE, HOLDING_INVOICES, OPEN_COMPLAINTS)


def holds_of(snapshot: Snapshot) -> CustomerHolds:
    """What the customer's invoices and complaints in ``snapshot`` hold against promotion
    (``domain.contact.holds_from``, as the contact book's handler reads the aggregates)."""
    facts = (billing.invoice_facts(i) for i in snapshot.of(billing.VIEW, "invoice"))
    return holds_from(
        (f for f in facts if f is not None),
        (c["complaint_id"] for c in snapshot.of(support.VIEW, "complaint") if c["status"] != "resolved"),
    )


def standing_of(book: Doc | None, holds: CustomerHolds, *, erased: bool) -> ContactStanding:
    """The contact rule's facts from a contact book document (None: no book yet)."""
    if book is None:
        return ContactStanding(holds=holds, erased=erased)
    prefs = book["preferences"]
    return ContactStanding(
        consents=tuple(
            Consent(Channel(c["channel"]), Purpose(c["purpose"]), c["source"], datetime.fromisoformat(c["given_at"]),
                    None if c["expires_on"] is None else date.fromisoformat(c["expires_on"]), c["confirmed"])
            for c in book["consents"].values()
        ),
        withdrawals=tuple((Channel(w["channel"]), Purpose(w["purpose"]), datetime.fromisoformat(w["at"]))
                          for w in book["withdrawals"].values()),
        preferences=preferences_of(prefs["caps"], prefs["quiet_hours"], prefs["preferred_channel"]),
        made=tuple(Made(datetime.fromisoformat(m["at"]), Channel(m["channel"]), Purpose(m["purpose"]))
                   for m in book["made"]),
        holds=holds, erased=erased,
    )


def _book(snapshot: Snapshot) -> Doc | None:
    books = snapshot.of(marketing.VIEW, "contact-book")
    return books[0] if books else None


def contactability(standing: ContactStanding, now: datetime, policy: ContactPolicy) -> list[Doc]:
    """The contact rule's answer for every channel and purpose at ``now``."""
    found = []
    for channel in Channel:
        for purpose in Purpose:
            refusals = contact_refusals(channel, purpose, standing, now, policy)
            if not refusals:
                upcoming: datetime | None = now
            elif any(r.until is None for r in refusals):
                upcoming = None  # lapses only when something else changes: no need to look ahead
            else:
                upcoming = next_allowed(channel, purpose, standing, now, policy)
            found.append({
                "channel": str(channel), "purpose": str(purpose), "allowed": not refusals,
                "reasons": [{"code": r.code, "detail": r.detail} for r in refusals],
                "next_allowed": None if upcoming is None else upcoming.isoformat(),
            })
    return found


def marketing_view(snapshot: Snapshot, now: datetime, policy: ContactPolicy) -> Doc:
    """Marketing's view of one customer at ``now``."""
    profile = snapshot.of(customers.VIEW)
    contact = customers.contact(profile[0]) if profile else None
    holds = holds_of(snapshot)
    book = _book(snapshot)
    standing = standing_of(book, holds, erased=bool(contact and contact.get("erased")))
    return {
        "position": snapshot.position,
        "as_of": now.isoformat(),
        "customer": contact,
        "consents": sorted((book or {}).get("consents", {}).values(), key=lambda c: (c["channel"], c["purpose"])),
        "withdrawals": sorted((book or {}).get("withdrawals", {}).values(), key=lambda w: (w["channel"], w["purpose"])),
        "preferences": (book or {}).get("preferences", {"caps": [], "quiet_hours": None, "preferred_channel": None}),
        "holds": {"dunning": [{"invoice_id": i, "level": lv} for i, lv in holds.dunning],
                  "disputes": list(holds.disputes), "complaints": list(holds.complaints)},
        "contactability": contactability(standing, now, policy),
        "contacts": (book or {}).get("contacts", []),
    }


def outbox_page(page: ListPage, next_cursor: str | None, channel: str | None = None) -> Doc:
    """A page of the outbox: the contacts made and not yet handed over of the page's customers
    (of ``channel`` when given), oldest first, with whom to reach (the customer's contact data)
    and what to send."""
    books = {key: doc for view, key, doc in page.snapshot.docs if view == marketing.VIEW}
    people = {d["customer_id"]: customers.contact(d) for v, _, d in page.snapshot.docs if v == customers.VIEW}
    pending = sorted(
        ({**c, "customer_id": row.customer_id} for row in page.rows for c in books[row.key]["contacts"]
         if c["status"] == "made" and (channel is None or c["channel"] == channel)),
        key=lambda c: c["position"],
    )
    items = [
        {
            "customer_id": c["customer_id"], "contact_id": c["contact_id"], "channel": c["channel"],
            "purpose": c["purpose"], "campaign": c["campaign"], "occasion": c["occasion"], "message": c["message"],
            "made_at": c["at"], "position": c["position"], "recipient": people.get(c["customer_id"]),
        }
        for c in pending
    ]
    return {"position": page.snapshot.position, "contacts": items, "next_cursor": next_cursor}


def per_customer(snapshot: Snapshot) -> dict[str, Snapshot]:
    """The documents of ``snapshot`` as one snapshot per customer, at its position."""
    docs: dict[str, list[tuple[str, str, Doc]]] = {}
    for view, key, doc in snapshot.docs:
        docs.setdefault(doc["customer_id"], []).append((view, key, doc))
    return {customer: Snapshot(snapshot.position, found, []) for customer, found in docs.items()}


def contactable_page(  # noqa: PLR0913 -- the page, the documents and what was asked
    page: ListPage, docs: Snapshot, channel: Channel, purpose: Purpose, now: datetime, policy: ContactPolicy,
    next_cursor: str | None, *, only_allowed: bool,
) -> Doc:
    """The page's customers (consented to ``purpose`` by ``channel``) with the contact rule's
    answer now, on the documents of one snapshot (``docs``): allowed, every reason, the next
    allowed contact; ``only_allowed`` leaves out those refused now."""
    by_customer = per_customer(docs)
    items = []
    for row in page.rows:
        own = by_customer.get(row.customer_id, Snapshot(docs.position, [], []))
        profile = own.of(customers.VIEW)
        contact = customers.contact(profile[0]) if profile else None
        book = _book(own)
        standing = standing_of(book, holds_of(own), erased=bool(contact and contact.get("erased")))
        refusals = contact_refusals(channel, purpose, standing, now, policy)
        if only_allowed and refusals:
            continue
        upcoming = now if not refusals else next_allowed(channel, purpose, standing, now, policy)
        items.append({
            "customer": contact, "allowed": not refusals, "reasons": [{"code": r.code, "detail": r.detail} for r in refusals],
            "next_allowed": None if upcoming is None else upcoming.isoformat(),
            "preferred_channel": (book or {}).get("preferences", {}).get("preferred_channel"),
        })
    return {"position": docs.position, "as_of": now.isoformat(), "channel": str(channel), "purpose": str(purpose),
            "customers": items, "next_cursor": next_cursor}


def _outcomes(counts: list[Count]) -> dict[str, dict[str, int]]:
    """Per campaign, the contacts per status (every status named, 0 when none)."""
    found: dict[str, dict[str, int]] = {}
    for count in counts:
        campaign, status = count.tag.rsplit(SEP, 1)
        outcomes = found.setdefault(campaign, dict.fromkeys(marketing.STATUSES, 0))
        outcomes[status] = outcomes.get(status, 0) + count.count
    return found


def _reasons(counts: list[Count]) -> dict[str, int]:
    """How many of the refused contacts counted named each reason."""
    reasons: dict[str, int] = {}
    for count in counts:
        for code in filter(None, (count.search or "").split(";")):
            reasons[code] = reasons.get(code, 0) + count.count
    return dict(sorted(reasons.items()))


def campaigns_summary(position: int, counts: list[Count]) -> Doc:
    """Every campaign's outcomes: its contacts made or refused, counted by what came of them,
    and the reasons of its refusals."""
    reasons: dict[str, list[Count]] = {}
    for count in counts:
        reasons.setdefault(count.tag.rsplit(SEP, 1)[0], []).append(count)
    return {"position": position, "campaigns": [
        {"campaign": campaign, "contacts": sum(outcomes.values()), "outcomes": outcomes,
         "reasons": _reasons(reasons[campaign])}
        for campaign, outcomes in sorted(_outcomes(counts).items())
    ]}


def campaign_page(page: ListPage, next_cursor: str | None, campaign: str, outcome: str | None) -> Doc:
    """A page of one campaign's contacts (of ``outcome`` when given) in the order decided, each
    with its customer, channel, occasion, outcome and reasons, and the campaign's outcomes."""
    books = {key: doc for view, key, doc in page.snapshot.docs if view == marketing.VIEW}
    summary = [x for x in campaigns_summary(page.snapshot.position, page.counts)["campaigns"] if x["campaign"] == campaign]
    contacts = []
    for row in page.rows:
        position = int(row.sort_key.rsplit(SEP, 1)[1])
        found = next(x for x in books[row.key]["contacts"] if x["position"] == position)
        contacts.append({
            "customer_id": row.customer_id, "contact_id": found["contact_id"], "channel": found["channel"],
            "purpose": found["purpose"], "occasion": found["occasion"], "message": found["message"],
            "status": found["status"], "reasons": found["reasons"], "at": found["at"], "position": position,
            "results": found["results"],
        })
    empty = {"contacts": 0, "outcomes": dict.fromkeys(marketing.STATUSES, 0), "reasons": {}}
    totals = summary[0] if summary else empty
    return {"position": page.snapshot.position, "campaign": campaign, "outcome": outcome,
            "contacts_in_total": totals["contacts"], "outcomes": totals["outcomes"], "reasons": totals["reasons"],
            "contacts": contacts, "next_cursor": next_cursor}
