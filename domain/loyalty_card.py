"""The LoyaltyCard aggregate: a customer's points ledger (domain/loyalty.py has the rules).

Every change names the lots it took points from, so a replay applies exactly what was decided,
whatever the rules say later."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, InvalidTransitionError
from domain.loyalty import Lot, LoyaltyPolicy, balance, expires_on, points_for, take, tier_of
from domain.values import Principal, aggregate_id

Taken = list[list[str | int]]  # [[invoice id, points], ...] as recorded


class LoyaltyCard(Aggregate):
    """A customer's loyalty card, known by the customer's id."""

    @staticmethod
    def create_id(customer_id: str) -> UUID:
        return aggregate_id("loyalty-card", customer_id)

    @event("Enrolled")
    def __init__(self, customer_id: str, at: datetime, by: Principal) -> None:
        self.customer_id = customer_id
        self.lots: list[Lot] = []
        self.reversed: dict[str, int] = {}

    def lot(self, invoice_id: str) -> Lot | None:
        return next((lot for lot in self.lots if lot.invoice_id == invoice_id), None)

    def balance(self, today: date) -> int:
        return balance(self.lots, today)

    def tier(self, today: date) -> str:
        return tier_of(self.lots, today).name

    # -- earning and taking back

    def earn(self, *, invoice_id: str, amount: Decimal, policy: LoyaltyPolicy, at: datetime, by: Principal) -> None:
        """Points for an invoice paid in full (``amount``: what was owed); once per invoice,
        none for less than a unit."""
        points = points_for(amount, policy)
        if points == 0 or self.lot(invoice_id) is not None:
            return
        self._points_earned(invoice_id=invoice_id, points=points, expires_on=expires_on(at.date(), policy), at=at, by=by)

    @event("PointsEarned")
    def _points_earned(self, invoice_id: str, points: int, expires_on: date, at: datetime, by: Principal) -> None:
        self.lots.append(Lot(invoice_id, points, points, at.date(), expires_on))

    def reverse(self, *, invoice_id: str, amount: Decimal, policy: LoyaltyPolicy, at: datetime, by: Principal) -> None:
        """Take back the points of ``amount`` credited on an invoice that earned points."""
        lot = self.lot(invoice_id)
        if lot is None:
            return
        owed = min(points_for(amount, policy), lot.earned - self.reversed.get(invoice_id, 0))
        due = min(owed, self.balance(at.date()))
        if due <= 0:
            return
        probe = [Lot(x.invoice_id, x.earned, x.remaining, x.earned_on, x.expires_on, x.reversed) for x in self.lots]
        taken = take(probe, due, at.date(), first=invoice_id)
        self._points_reversed(invoice_id=invoice_id, points=due, lots=[[i, n] for i, n in taken], at=at, by=by)

    @event("PointsReversed")
    def _points_reversed(self, invoice_id: str, points: int, lots: Taken, at: datetime, by: Principal) -> None:
        self._apply_taken(lots)
        self.reversed[invoice_id] = self.reversed.get(invoice_id, 0) + points
        credited = self.lot(invoice_id)
        if credited is not None:
            credited.reversed += points

    # -- redeeming and expiring

    def redeem(self, *, points: int, reward: str, at: datetime, by: Principal) -> None:
        if points <= 0:
            raise DomainError("redeem at least one point", "invalid-points")
        available = self.balance(at.date())
        if points > available:
            raise InvalidTransitionError(f"{points} points asked, {available} available", "not-enough-points")
        probe = [Lot(x.invoice_id, x.earned, x.remaining, x.earned_on, x.expires_on) for x in self.lots]
        taken = take(probe, points, at.date())
        self._points_redeemed(points=points, reward=reward, lots=[[i, n] for i, n in taken], at=at, by=by)

    @event("PointsRedeemed")
    def _points_redeemed(self, points: int, reward: str, lots: Taken, at: datetime, by: Principal) -> None:
        self._apply_taken(lots)

    def expire(self, *, at: datetime, by: Principal) -> bool:
        """Let the points of every lot past its expiry go; False when there were none."""
        gone = [(lot.invoice_id, lot.remaining) for lot in self.lots if lot.expires_on < at.date() and lot.remaining]
        if not gone:
            return False
        self._points_expired(points=sum(n for _, n in gone), lots=[[i, n] for i, n in gone], at=at, by=by)
        return True

    @event("PointsExpired")
    def _points_expired(self, points: int, lots: Taken, at: datetime, by: Principal) -> None:
        self._apply_taken(lots)

    def _apply_taken(self, lots: Taken) -> None:
        for invoice_id, points in lots:
            lot = self.lot(str(invoice_id))
            if lot is not None:
                lot.remaining -= int(points)

    def win(self, *, raffle_id: str, prize: str, at: datetime, by: Principal) -> None:
        """The card holder won ``prize`` in raffle ``raffle_id`` (recorded with the draw)."""
        self._raffle_won(raffle_id=raffle_id, prize=prize, at=at, by=by)

    @event("RaffleWon")
    def _raffle_won(self, raffle_id: str, prize: str, at: datetime, by: Principal) -> None:
        pass
