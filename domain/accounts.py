"""What an invoice comes to: the one derivation of what is still owed, what the customer has paid
in excess, and what a credit note may still take off. The Invoice aggregate, the hold rule's
facts and every department view read it here, so no two places can disagree about a balance."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.holds import is_settled

SETTLED = "settled"
CREDITED = "credited"
WRITTEN_OFF = "written-off"


def _zero_like(value: Decimal) -> Decimal:
    """Zero with the scale of ``value`` ("0.00" for "-5.00"), never a negative zero."""
    return abs(value) * 0


@dataclass(frozen=True)
class InvoiceAccount:
    """An invoice's amount and what moved against it: payments (``paid``), credit brought in
    from the customer's other invoices (``applied``), credit notes (``credited``), a write-off
    (``written_off``), and credit taken out to the customer's other invoices (``transferred``)."""

    amount: Decimal
    paid: Decimal = Decimal(0)
    credited: Decimal = Decimal(0)
    written_off: Decimal = Decimal(0)
    applied: Decimal = Decimal(0)
    transferred: Decimal = Decimal(0)

    @property
    def _owed_before_write_off(self) -> Decimal:
        return self.amount - self.paid - self.applied - self.credited + self.transferred

    @property
    def effective_write_off(self) -> Decimal:
        """What the write-off still gives up: never more than is owed without it, so a payment
        after a write-off recovers the debt (it does not become the customer's credit) and a
        correction to a lower amount shrinks the write-off."""
        owed = self._owed_before_write_off
        return min(self.written_off, owed) if owed > 0 else _zero_like(self.written_off)

    @property
    def net(self) -> Decimal:
        """What is owed less what came in; negative when the customer has paid more than is
        owed. The hold rule reads this (``InvoiceStanding.balance``): settled at zero or less."""
        return self._owed_before_write_off - self.effective_write_off

    @property
    def balance(self) -> Decimal:
        """What is still owed; never negative."""
        net = self.net
        return net if net > 0 else _zero_like(net)

    @property
    def credit(self) -> Decimal:
        """What the customer has in excess on this invoice (an overpayment, or goods paid for
        and then credited), less what was offset against other invoices; never negative."""
        net = self.net
        return -net if net < 0 else _zero_like(net)

    @property
    def creditable(self) -> Decimal:
        """What credit notes may still take off: the amount less what was already credited or
        written off."""
        left = self.amount - self.credited - self.effective_write_off
        return left if left > 0 else _zero_like(left)

    @property
    def settled(self) -> bool:
        return is_settled(self.net)

    @property
    def settled_by(self) -> str | None:
        """How a settled invoice was settled, None while something is owed: ``written-off``
        when billing wrote the rest off, ``credited`` when a credit note was needed, else
        ``settled`` (payments and offset credit cover it)."""
        if not self.settled:
            return None
        if self.effective_write_off > 0:
            return WRITTEN_OFF
        return CREDITED if self.credited > 0 and self.paid + self.applied < self.amount else SETTLED
