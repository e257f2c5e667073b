"""The loyalty view: per card holder, one document with the lots of points (earned, what
remains, when they expire) and the history of the card; balance, tier and discount are the
read model's, for the day asked (domain/loyalty.py), as the aggregate computes them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from domain.loyalty import TIERS, Lot, balance, earned_since, tier_of
from projections import customers
from projections.batch import Batch, Doc, Snapshot
from projections.encoding import event_type

if TYPE_CHECKING:
    from projections.list_queries import ListPage

VIEW = "loyalty"
CARD = "LoyaltyCard."
#: How far ahead the view warns of points about to expire.
EXPIRING_DAYS = 30


def project(batch: Batch, event: Any, position: int) -> None:
    """Fold one event into the loyalty documents (no I/O; updates the batch's working set)."""
    name = event_type(event)
    if not name.startswith(CARD):
        return
    key = event.originator_id.hex
    at = event.at.isoformat()
    if name == "LoyaltyCard.Enrolled":
        batch.put(VIEW, key, {"kind": "loyalty-card", "customer_id": event.customer_id, "enrolled_at": at,
                              "lots": [], "history": [], "position": position})
        return
    doc = batch.get(VIEW, key)
    if doc is None:
        return
    entry: Doc = {"type": name.removeprefix(CARD), "points": getattr(event, "points", 0), "at": at, "position": position}
    if name == "LoyaltyCard.RaffleWon":
        entry.update({"raffle_id": event.raffle_id, "prize": event.prize})
    elif name == "LoyaltyCard.PointsEarned":
        doc["lots"].append({"invoice_id": event.invoice_id, "earned": event.points, "remaining": event.points,
                            "reversed": 0, "earned_on": event.at.date().isoformat(),
                            "expires_on": event.expires_on.isoformat()})
        entry["invoice_id"] = event.invoice_id
    else:
        for invoice_id, points in event.lots:
            lot = next(x for x in doc["lots"] if x["invoice_id"] == invoice_id)
            lot["remaining"] -= points
        if name == "LoyaltyCard.PointsReversed":
            credited = next(x for x in doc["lots"] if x["invoice_id"] == event.invoice_id)
            credited["reversed"] += event.points
        entry.update({k: getattr(event, k) for k in ("invoice_id", "reward") if hasattr(event, k)})
    doc["history"].append(entry)
    doc["position"] = position
    batch.put(VIEW, key, doc)


def lots_of(card: Doc) -> list[Lot]:
    return [Lot(x["invoice_id"], x["earned"], x["remaining"], date.fromisoformat(x["earned_on"]),
                date.fromisoformat(x["expires_on"]), x["reversed"]) for x in card["lots"]]


def card_figures(card: Doc, today: date) -> Doc:
    """A card's balance, tier and discount on ``today``, the points of its 365 days and those
    expiring within 30."""
    lots = lots_of(card)
    tier = tier_of(lots, today)
    earned = earned_since(lots, date.fromordinal(today.toordinal() - 365))
    higher = [t for t in TIERS if t.from_points > tier.from_points]
    soon = date.fromordinal(today.toordinal() + EXPIRING_DAYS)
    return {
        "balance": balance(lots, today), "tier": tier.name, "discount_percent": tier.discount_percent,
        "earned_last_365_days": earned, "points_to_next_tier": higher[0].from_points - earned if higher else None,
        "expiring_within_30_days": sum(x.remaining for x in lots if today <= x.expires_on <= soon),
    }


def card_holders_page(page: ListPage, next_cursor: str | None, today: date, tier: str | None) -> Doc:
    """A page of the card holders, each with his contact data
    and his card's standing on ``today``; of ``tier`` when given (decided now: rows the list
    could only bound are left out, so a page may hold fewer than asked and still go on)."""
    cards = {key: doc for view, key, doc in page.snapshot.docs if view == VIEW}
    people = {d["customer_id"]: customers.contact(d) for v, _, d in page.snapshot.docs if v == customers.VIEW}
    members = []
    for row in page.rows:
        now = card_figures(cards[row.key], today)
        if tier is None or now["tier"] == tier:
            members.append({"customer": people.get(row.customer_id), "customer_id": row.customer_id, **now})
    return {"position": page.snapshot.position, "as_of": today.isoformat(), "tier": tier, "members": members,
            "next_cursor": next_cursor}


def loyalty_view(snapshot: Snapshot, today: date) -> Doc:
    """The customer's card on ``today``: balance, tier and discount, what expires soon, history."""
    cards = snapshot.of(VIEW, "loyalty-card")
    if not cards:
        return {"position": snapshot.position, "as_of": today.isoformat(), "enrolled": False, "balance": 0,
                "tier": None, "discount_percent": 0, "earned_last_365_days": 0, "points_to_next_tier": None,
                "expiring_within_30_days": 0, "lots": [], "history": []}
    card = cards[0]
    return {"position": snapshot.position, "as_of": today.isoformat(), "enrolled": True, **card_figures(card, today),
            "lots": card["lots"], "history": card["history"]}
