"""What a journey entry concerns, in ids and in one line a person reads ("dunning level 1 for
INV-1001"). Pure: the attributes of a domain event in, plain values out.

Only the event that creates an aggregate carries its ids (``Invoice.Issued``: invoice and order,
``Complaint.Filed``: complaint and order, ``Order.Placed``: order); the journey keeps them with
the aggregate (``subject_of``) and names every later event of it with them. Each event type has a
summary; a type without one (added later, or renamed) gets a generic line made of its name and
subject, so the journey never fails on an event it does not know."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from domain.currencies import format_amount

#: The ids an entry's ``subject`` may name, most general first.
SUBJECT_KEYS = ("customer_id", "order_id", "invoice_id", "complaint_id")

_LONGEST_TEXT = 80
_FINAL_LEVEL = 3

Attrs = Mapping[str, Any]
Subject = Mapping[str, str]


def subject_of(attrs: Attrs) -> dict[str, str]:
    """The subject ids among an event's attributes, in ``SUBJECT_KEYS`` order."""
    return {k: attrs[k] for k in SUBJECT_KEYS if isinstance(attrs.get(k), str)}


def merged(*subjects: Subject) -> dict[str, str]:
    """The ids of all ``subjects`` (an earlier one wins), in ``SUBJECT_KEYS`` order."""
    found: dict[str, str] = {}
    for subject in subjects:
        for k, v in subject.items():
            found.setdefault(k, v)
    return {k: found[k] for k in SUBJECT_KEYS if k in found}


# Values as people read them ----------------------------------------------------------------------


def money(value: Any) -> str:
    """"50.00 EUR": a ``Money`` (or its JSON form) written with the currency's exponent."""
    if isinstance(value, Mapping):
        amount, currency = value["amount"], value["currency"]
    else:
        amount, currency = value.amount, value.currency
    return f"{format_amount(Decimal(str(amount)), currency)} {currency}"


def text(value: Any) -> str:
    """Free text on one line: whitespace collapsed, long text cut with an ellipsis."""
    line = " ".join(str(value).split())
    return line if len(line) <= _LONGEST_TEXT else line[: _LONGEST_TEXT - 1].rstrip() + "…"


def _why(attrs: Attrs, *names: str) -> str:
    """`` (<text>)`` of the first of ``names`` the event has and is not empty, else ``""``."""
    for name in names:
        if attrs.get(name):
            return f" ({text(attrs[name])})"
    return ""


def _day(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def label(subject: Subject) -> str:
    """The most specific thing ``subject`` names: "complaint CP-1", "invoice INV-1001", ..."""
    for key in reversed(SUBJECT_KEYS):
        if key in subject:
            return f"{key.removesuffix('_id')} {subject[key]}"
    return "the customer"


def _words(name: str) -> str:
    """"Invoice.DeferralRevoked" -> "deferral revoked"."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name.rsplit(".", 1)[-1]).lower()


def generic(name: str, attrs: Attrs, subject: Subject) -> str:
    """The line for an event type without a summary of its own: "invoice INV-1: written off",
    with its amount when it has one."""
    line = f"{label(subject)}: {_words(name)}"
    if attrs.get("amount") is not None:
        try:
            line += f" {money(attrs['amount'])}"
        except (AttributeError, KeyError, TypeError, ArithmeticError, ValueError):
            pass
    return line + _why(attrs, "reason", "note")


# One line per event type -------------------------------------------------------------------------

Summary = Callable[[Attrs, Subject], str]


def _inv(s: Subject) -> str:
    return s["invoice_id"]


def _order_placed(a: Attrs, s: Subject) -> str:
    total = sum((Decimal(str(line.unit_price)) * line.quantity for line in a["lines"]), Decimal(0))
    lines = len(a["lines"])
    return (f"order {s['order_id']} placed: {lines} line{'s' * (lines != 1)}, "
            f"{format_amount(total, a['currency'])} {a['currency']}")


def _order_returned(a: Attrs, s: Subject) -> str:
    if a.get("whole", True):
        return f"order {s['order_id']} returned"
    items = ", ".join(f"{line.quantity} x {line.sku}" for line in a["lines"])
    return f"order {s['order_id']} partly returned: {items}"


def _contact_changed(a: Attrs, s: Subject) -> str:
    changed = [k for k in ("email", "phone", "address") if a.get(k)]
    return f"contact details changed: {', '.join(changed) or 'none'}"


def _corrected(a: Attrs, s: Subject) -> str:
    line = f"corrected invoice issued for {_inv(s)}"
    if a.get("amount") is not None:
        line += f": {money(a['amount'])}"
    if a.get("due_date") is not None:
        line += f", due {_day(a['due_date'])}"
    return line + _why(a, "note")


def _dunned(a: Attrs, s: Subject) -> str:
    final = " (final notice)" if a["level"] == _FINAL_LEVEL else ""
    return f"dunning level {a['level']}{final} for {_inv(s)}"


def _consent_given(a: Attrs, s: Subject) -> str:
    line = f"consent to {a['purpose']} by {a['channel']} given via {text(a['source'])}"
    if a.get("expires_on"):
        line += f" until {_day(a['expires_on'])}"
    return line + ("" if a["confirmed"] else " (awaiting confirmation)")


def _preferences_set(a: Attrs, s: Subject) -> str:
    parts = [f"at most {c['limit']} in {c['days']} days" + (f" by {c['channel']}" if c.get("channel") else "")
             for c in a["caps"]]
    quiet = a.get("quiet_hours")
    if quiet:
        parts.append(f"quiet {quiet['start']}-{quiet['end']} {quiet['timezone']}")
    if a.get("preferred_channel"):
        parts.append(f"prefers {a['preferred_channel']}")
    return "contact preferences set: " + ("; ".join(parts) or "none")


def _campaign(a: Attrs) -> str:
    return f" ({text(a['campaign'])})" if a.get("campaign") else ""


SUMMARIES: dict[str, Summary] = {
    "Customer.Registered": lambda a, s: f"customer registered: {text(a['name'])}",
    "Customer.ContactDetailsChanged": _contact_changed,
    "Customer.PersonalDataErased": lambda a, s: "personal data erased",
    "Order.Placed": _order_placed,
    "Order.Shipped": lambda a, s: f"order {s['order_id']} shipped",
    "Order.Delivered": lambda a, s: f"order {s['order_id']} delivered",
    "Order.Cancelled": lambda a, s: f"order {s['order_id']} cancelled" + _why(a, "reason"),
    "Order.Returned": _order_returned,
    "Invoice.Issued": lambda a, s: (
        f"invoice {_inv(s)} issued for order {s['order_id']}: {money(a['amount'])} due {_day(a['due_date'])}"
    ),
    "Invoice.DetailedInvoiceRequested": lambda a, s: f"detailed invoice requested for {_inv(s)}" + _why(a, "note"),
    "Invoice.CorrectedInvoiceIssued": _corrected,
    "Invoice.PaymentReceived": lambda a, s: f"payment {money(a['amount'])} on {_inv(s)}",
    "Invoice.CreditNoteIssued": lambda a, s: f"credit note {money(a['amount'])} on {_inv(s)}" + _why(a, "reason"),
    "Invoice.PaymentDeferralGranted": lambda a, s: (
        f"payment deferred until {_day(a['until'])} on {_inv(s)}" + _why(a, "reason")
    ),
    "Invoice.DeferralRevoked": lambda a, s: (
        f"payment deferral {a['number']} revoked on {_inv(s)}" + _why(a, "reason")
    ),
    "Invoice.DeferralShortened": lambda a, s: (
        f"payment deferral {a['number']} shortened until {_day(a['until'])} on {_inv(s)}" + _why(a, "reason")
    ),
    "Invoice.DisputeOpened": lambda a, s: f"dispute opened on {_inv(s)}" + _why(a, "reason"),
    "Invoice.DisputeResolved": lambda a, s: f"dispute on {_inv(s)} resolved" + _why(a, "resolution"),
    "Invoice.DunningLevelReached": _dunned,
    "Invoice.HandedToCollection": lambda a, s: f"{_inv(s)} handed to collection",
    "Invoice.WrittenOff": lambda a, s: f"{money(a['amount'])} written off on {_inv(s)}" + _why(a, "reason"),
    "Invoice.CreditTransferred": lambda a, s: (
        f"credit {money(a['amount'])} transferred from {_inv(s)} to {a['to_invoice']}"
    ),
    "Invoice.CreditApplied": lambda a, s: f"credit {money(a['amount'])} from {a['from_invoice']} applied to {_inv(s)}",
    "Complaint.Filed": lambda a, s: (
        f"complaint {s['complaint_id']} filed about {text(a['product_group'])} on order {s['order_id']}"
    ),
    "Complaint.Answered": lambda a, s: f"complaint {s['complaint_id']} answered",
    "Complaint.Resolved": lambda a, s: f"complaint {s['complaint_id']} resolved" + _why(a, "note"),
    "ContactBook.Opened": lambda a, s: "contact book opened",
    "ContactBook.ConsentGiven": _consent_given,
    "ContactBook.ConsentConfirmed": lambda a, s: f"consent to {a['purpose']} by {a['channel']} confirmed (double opt-in)",
    "ContactBook.ConsentWithdrawn": lambda a, s: (
        f"consent to {a['purpose']} by {a['channel']} withdrawn via {text(a['source'])}"
    ),
    "ContactBook.PreferencesSet": _preferences_set,
    "ContactBook.ContactMade": lambda a, s: (
        f"{a['purpose']} contact {a['contact_id']} by {a['channel']}: {text(a['message'])}" + _campaign(a)
    ),
    "ContactBook.ContactRefused": lambda a, s: (
        f"{a['purpose']} contact {a['contact_id']} by {a['channel']} refused: "
        + ", ".join(r["code"] for r in a["reasons"]) + _campaign(a)
    ),
    "ContactBook.InboundContact": lambda a, s: f"customer got in touch by {a['channel']}" + _why(a, "note"),
    "ContactBook.ContactHandedOver": lambda a, s: f"contact {a['contact_id']} handed to the mailing tool",
    "ContactBook.ContactDelivered": lambda a, s: f"contact {a['contact_id']} delivered",
    "ContactBook.ContactBounced": lambda a, s: f"contact {a['contact_id']} bounced" + _why(a, "reason"),
    "ContactBook.ContactOpened": lambda a, s: f"contact {a['contact_id']} opened",
    "ContactBook.ContactCancelled": lambda a, s: f"contact {a['contact_id']} cancelled: {a['cause']}",
    "LoyaltyCard.Enrolled": lambda a, s: "loyalty card taken",
    "LoyaltyCard.PointsEarned": lambda a, s: f"{a['points']} loyalty points earned on {a['invoice_id']}",
    "LoyaltyCard.PointsReversed": lambda a, s: f"{a['points']} loyalty points taken back ({a['invoice_id']} credited)",
    "LoyaltyCard.PointsRedeemed": lambda a, s: f"{a['points']} loyalty points redeemed for {text(a['reward'])}",
    "LoyaltyCard.PointsExpired": lambda a, s: f"{a['points']} loyalty points expired",
    "LoyaltyCard.RaffleWon": lambda a, s: f"won {text(a['prize'])} in raffle {a['raffle_id']}",
    "Raffle.Announced": lambda a, s: f"raffle {a['raffle_id']} announced: {a['prizes']} x {text(a['prize'])}",
    "Raffle.Drawn": lambda a, s: f"raffle drawn among {len(a['entrants'])} card holders",
}


def summarize(name: str, attrs: Attrs, subject: Subject) -> str:
    """One line saying what the event of type ``name`` (e.g. ``Invoice.PaymentReceived``) with
    ``attrs`` did to ``subject``. An unknown type, or one whose attributes differ from what its
    summary expects, gets the generic line; this never raises."""
    summary = SUMMARIES.get(name)
    if summary is not None:
        try:
            return summary(attrs, subject)
        except (AttributeError, KeyError, TypeError, ArithmeticError, ValueError):
            pass
    return generic(name, attrs, subject)
