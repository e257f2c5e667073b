"""What an invoice comes to: the one derivation of what is still owed, what the customer has paid
in excess, and what a credit note may still take off. The Invoice aggregate, the hold rule's
facts and every department view read it here, so no two places can disagree about a balance."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.holds import is_settled

PAID = "paid"
CREDITED = "credited"


def _zero_like(value: Decimal) -> Decimal:
    """Zero with the scale of ``value`` ("0.00" for "-5.00"), never a negative zero."""
    return abs(value) * 0


@dataclass(frozen=True)
class InvoiceAccount:
    """An invoice's amount, what was paid on it and what credit notes took off it."""

    amount: Decimal
    paid: Decimal = Decimal(0)
    credited: Decimal = Decimal(0)

    @property
    def net(self) -> Decimal:
        """``amount - paid - credited``; negative when the customer paid more than is owed. The
        hold rule reads this (``InvoiceStanding.balance``): settled when it is zero or less."""
        return self.amount - self.paid - self.credited

    @property
    def balance(self) -> Decimal:
        """What is still owed; never negative."""
        net = self.net
        return net if net > 0 else _zero_like(net)

    @property
    def credit(self) -> Decimal:
        """What the customer has paid in excess (an overpayment, or goods paid for and then
        credited); never negative."""
        net = self.net
        return -net if net < 0 else _zero_like(net)

    @property
    def creditable(self) -> Decimal:
        """What credit notes may still take off: the amount minus what was already credited."""
        left = self.amount - self.credited
        return left if left > 0 else _zero_like(left)

    @property
    def settled(self) -> bool:
        return is_settled(self.net)

    @property
    def settled_by(self) -> str | None:
        """``credited`` when a credit note was needed to settle the invoice, ``paid`` when the
        payments alone cover it, None while something is owed."""
        if not self.settled:
            return None
        return CREDITED if self.credited > 0 and self.paid < self.amount else PAID
