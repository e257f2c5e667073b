"""The loyalty card's rules, pure: points earned on paid invoices, reversed on credit notes,
redeemed and expired oldest first, and tiers with their discounts.

- A card holder earns ``points_per_unit`` points per whole currency unit of an invoice once it
  is paid in full (what is owed after credit notes; the currency is not converted), at that
  moment, each earning a lot that expires ``expiry_days`` later.
- A credit note on an invoice that earned points takes back the points of the credited amount,
  at most what that invoice earned and was not yet taken back, and never more than the balance.
- Redeeming and expiring take points from the lots that expire first.
- The tier is that of the points earned in the last 365 days, less those taken back: bronze
  from 0, silver from 500 (3 % loyalty discount), gold from 2,000 (5 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from domain.errors import DomainError


@dataclass(frozen=True)
class Tier:
    name: str
    from_points: int
    discount_percent: int


TIERS = (Tier("bronze", 0, 0), Tier("silver", 500, 3), Tier("gold", 2000, 5))


@dataclass(frozen=True)
class LoyaltyPolicy:
    points_per_unit: int = 1
    expiry_days: int = 365

    def __post_init__(self) -> None:
        if self.points_per_unit < 1 or self.expiry_days < 1:
            raise DomainError("points per unit and expiry days must be positive", "invalid-loyalty-policy")


@dataclass
class Lot:
    """Points earned at once (on one invoice), what remains of them, when they expire, and how
    many were taken back because the invoice was credited."""

    invoice_id: str
    earned: int
    remaining: int
    earned_on: date
    expires_on: date
    reversed: int = 0


def points_for(amount: Decimal, policy: LoyaltyPolicy) -> int:
    """Points for ``amount`` of any currency: whole units only."""
    return int((amount * policy.points_per_unit).to_integral_value(rounding=ROUND_FLOOR)) if amount > 0 else 0


def expires_on(earned_on: date, policy: LoyaltyPolicy) -> date:
    return earned_on + timedelta(days=policy.expiry_days)


def balance(lots: list[Lot], today: date) -> int:
    """The points that may be redeemed on ``today``: what remains of the lots not expired."""
    return sum(lot.remaining for lot in lots if lot.expires_on >= today)


def take(lots: list[Lot], points: int, today: date, first: str | None = None) -> list[tuple[str, int]]:
    """Take ``points`` from the lots valid on ``today`` (``first``'s lot first, then those
    expiring first); returns what was taken from which lot. Changes ``lots``."""
    order = sorted((lot for lot in lots if lot.expires_on >= today and lot.remaining > 0),
                   key=lambda lot: (lot.invoice_id != first, lot.expires_on, lot.invoice_id))
    taken, left = [], points
    for lot in order:
        if left == 0:
            break
        n = min(lot.remaining, left)
        lot.remaining -= n
        left -= n
        taken.append((lot.invoice_id, n))
    return taken


def earned_since(lots: list[Lot], since: date) -> int:
    """The points earned on or after ``since``, less those taken back (a returned order counts
    for no tier)."""
    return sum(lot.earned - lot.reversed for lot in lots if lot.earned_on >= since)


def tier_of(lots: list[Lot], today: date) -> Tier:
    """The tier of the points earned in the 365 days up to ``today``."""
    earned = earned_since(lots, today - timedelta(days=365))
    return max((t for t in TIERS if earned >= t.from_points), key=lambda t: t.from_points)
