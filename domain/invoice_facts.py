"""The invoice vocabulary: every fact a department is shown about an invoice, derived once.

Billing, support, the invoice page and the worklists all show an invoice through
``invoice_facts``, so the same invoice has the same status, balance, due date, dunning level,
holds and dunning verdict in every view, at every position of the stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from domain.accounts import InvoiceAccount
from domain.holds import (
    DunningPolicy,
    Hold,
    InvoiceStanding,
    Refusal,
    active_holds,
    dunning_refusals,
    is_overdue,
)


class InvoiceStatus(StrEnum):
    """Where an invoice stands, in one word every department uses."""

    OPEN = "open"  # something is owed, the due date is still ahead
    DUE_TODAY = "due-today"  # something is owed, today is the due date (still on time)
    OVERDUE = "overdue"  # something is owed after the due date
    IN_COLLECTION = "in-collection"  # handed to collection; something is still owed
    SETTLED = "settled"  # nothing is owed: paid (or offset with the customer's credit)
    CREDITED = "credited"  # nothing is owed: a credit note took off what was not paid
    WRITTEN_OFF = "written-off"  # nothing is owed: billing wrote off the rest


class NextStep(StrEnum):
    DUNNING = "dunning"
    COLLECTION = "collection"


@dataclass(frozen=True)
class InvoiceFacts:
    """What every department is shown about one invoice on one day."""

    status: InvoiceStatus
    balance: Decimal
    credit: Decimal
    due_date: date
    dunning_level: int
    holds: tuple[Hold, ...]
    #: The step the hold rule allows today, None when it allows none.
    next_step: NextStep | None
    #: Why the next dunning level is refused today (empty when it is allowed).
    refusals: tuple[Refusal, ...]

    @property
    def may_dun(self) -> bool:
        return self.next_step is NextStep.DUNNING

    @property
    def may_hand_to_collection(self) -> bool:
        return self.next_step is NextStep.COLLECTION


def invoice_status(standing: InvoiceStanding, account: InvoiceAccount, today: date) -> InvoiceStatus:
    """Settled (and how) before anything else; then in collection; then by the due date."""
    settled_by = account.settled_by
    if settled_by is not None:
        return InvoiceStatus(settled_by)
    if standing.handed_to_collection:
        return InvoiceStatus.IN_COLLECTION
    if is_overdue(standing.due_date, today):
        return InvoiceStatus.OVERDUE
    return InvoiceStatus.DUE_TODAY if today == standing.due_date else InvoiceStatus.OPEN


def invoice_facts(
    standing: InvoiceStanding, account: InvoiceAccount, today: date, policy: DunningPolicy
) -> InvoiceFacts:
    """The facts of one invoice on ``today``: the hold rule's verdict and the account's sums."""
    refusals = tuple(dunning_refusals(standing, today, policy))
    if not refusals:
        step: NextStep | None = NextStep.DUNNING
    elif not dunning_refusals(standing, today, policy, hand_off=True):
        step = NextStep.COLLECTION
    else:
        step = None
    return InvoiceFacts(
        status=invoice_status(standing, account, today),
        balance=account.balance,
        credit=account.credit,
        due_date=standing.due_date,
        dunning_level=standing.dunning_level,
        holds=tuple(active_holds(standing, today)),
        next_step=step,
        refusals=refusals,
    )
