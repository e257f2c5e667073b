"""The hold rule: the one place that decides whether an invoice may be dunned.

The Invoice aggregate calls it before recording a dunning step or a collection hand-off,
and the read models call it to show holds and dunning candidates, so no department can
see a different answer from the one the decision was checked against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

FINAL_DUNNING_LEVEL = 3


class HoldKind(StrEnum):
    DETAILED_INVOICE_REQUESTED = "detailed-invoice-requested"
    PAYMENT_DEFERRAL = "payment-deferral"
    DISPUTE = "dispute"
    COMPLAINT = "complaint"


@dataclass(frozen=True)
class Hold:
    """A reason the customer must not be pressed for payment, with what caused it."""

    kind: HoldKind
    cause: str
    until: date | None = None
    #: What holds: the complaint's id, the deferral's number, None for a request or a dispute.
    ref: str | None = None


@dataclass(frozen=True)
class Deferral:
    """A promise not to dun until and including ``until``: number ``number`` of its invoice,
    made by ``granted_by`` (``department:user``) of ``department``."""

    until: date
    reason: str
    granted_by: str
    number: int = 0
    department: str = ""


@dataclass(frozen=True)
class DunningPolicy:
    """How dunning advances: levels 1..3 in order, at least ``min_interval`` apart; and how long
    dunning may be put off: a payment deferral lasts at most ``max_deferral`` from the day it
    is granted."""

    min_interval: timedelta = timedelta(days=14)
    max_deferral: timedelta = timedelta(days=90)


@dataclass(frozen=True)
class InvoiceStanding:
    """The facts of an invoice that the hold rule reads; built by the aggregate and the views."""

    due_date: date
    balance: Decimal
    open_detailed_requests: tuple[str, ...] = ()
    deferrals: tuple[Deferral, ...] = ()
    open_dispute: str | None = None
    open_complaints: tuple[str, ...] = ()
    dunning_level: int = 0
    last_dunning_on: date | None = None
    handed_to_collection: bool = False


@dataclass(frozen=True)
class Refusal:
    """One reason a dunning step is refused; ``hold`` is set when the reason is an active hold."""

    code: str
    detail: str
    hold: Hold | None = field(default=None)


DETAILED_REQUEST = "detailed invoice requested"


def is_settled(balance: Decimal) -> bool:
    """Nothing is owed any more."""
    return balance <= 0


def is_overdue(due_date: date, today: date) -> bool:
    """Payment is late: the due date has passed (the due date itself is still on time)."""
    return today > due_date


def deferral_active(until: date, today: date) -> bool:
    """A deferral holds until and including its last day."""
    return today <= until


def earliest_step_day(standing: InvoiceStanding) -> date:
    """The first day on which neither the due date nor any deferral refuses the next step (every
    other refusal aside): the day after the due date and after the last day of every deferral."""
    last_held = max([standing.due_date, *(d.until for d in standing.deferrals)])
    return last_held if last_held == date.max else last_held + timedelta(days=1)


def active_holds(standing: InvoiceStanding, today: date) -> list[Hold]:
    """Every hold active on ``today``: unanswered detailed-invoice requests, deferrals not yet
    expired, an open dispute, open complaints on the invoiced order."""
    holds = [
        Hold(HoldKind.DETAILED_INVOICE_REQUESTED, note)
        for note in standing.open_detailed_requests
    ]
    holds += [
        Hold(HoldKind.PAYMENT_DEFERRAL, f"{d.reason} (granted by {d.granted_by})", d.until, str(d.number) if d.number else None)
        for d in standing.deferrals
        if deferral_active(d.until, today)
    ]
    if standing.open_dispute is not None:
        holds.append(Hold(HoldKind.DISPUTE, standing.open_dispute))
    holds += [Hold(HoldKind.COMPLAINT, f"complaint {c}", ref=c) for c in standing.open_complaints]
    return holds


def dunning_refusals(
    standing: InvoiceStanding, today: date, policy: DunningPolicy, *, hand_off: bool = False
) -> list[Refusal]:
    """Every reason the next dunning step (or, with ``hand_off``, the collection hand-off)
    is refused on ``today``; an empty list means it is allowed."""
    refusals: list[Refusal] = []
    if is_settled(standing.balance):
        refusals.append(Refusal("settled", "the invoice is settled"))
    if standing.handed_to_collection:
        refusals.append(Refusal("handed-to-collection", "the invoice is already with collection"))
    if not is_overdue(standing.due_date, today):
        refusals.append(Refusal("not-due", f"the invoice is not overdue before {standing.due_date}"))
    if hand_off and standing.dunning_level < FINAL_DUNNING_LEVEL:
        refusals.append(
            Refusal("final-notice-missing", f"dunning level {FINAL_DUNNING_LEVEL} is not reached")
        )
    if not hand_off and standing.dunning_level >= FINAL_DUNNING_LEVEL:
        refusals.append(Refusal("final-level-reached", "the final notice was already sent"))
    if standing.last_dunning_on is not None:
        earliest = standing.last_dunning_on + policy.min_interval
        if today < earliest:
            refusals.append(
                Refusal("interval-not-elapsed", f"the next step is allowed from {earliest}")
            )
    refusals += [
        Refusal(f"hold:{h.kind}", f"hold: {h.kind} ({h.cause})", h)
        for h in active_holds(standing, today)
    ]
    return refusals

