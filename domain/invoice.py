"""The Invoice aggregate: what is owed, what was promised, and how far dunning went."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, DunningRefusedError, InvalidTransitionError
from domain.holds import (
    DETAILED_REQUEST,
    Deferral,
    DunningPolicy,
    InvoiceStanding,
    dunning_refusals,
    is_settled,
)
from domain.values import Money, Principal, aggregate_id


class Invoice(Aggregate):
    """An invoice for one order. Dunning steps are guarded by the hold rule (domain.holds)."""

    @staticmethod
    def create_id(invoice_id: str) -> UUID:
        return aggregate_id("invoice", invoice_id)

    @event("Issued")
    def __init__(
        self,
        customer_id: str,
        invoice_id: str,
        order_id: str,
        amount: Money,
        due_date: date,
        at: datetime,
        by: Principal,
    ) -> None:
        self.customer_id = customer_id
        self.invoice_id = invoice_id
        self.order_id = order_id
        self.amount = amount
        self.due_date = due_date
        self.paid = Money(amount.amount * 0, amount.currency)
        self.open_detailed_requests: list[str] = []
        self.deferrals: list[Deferral] = []
        self.open_dispute: str | None = None
        self.dunning_level = 0
        self.last_dunning_on: date | None = None
        self.handed_to_collection = False

    @classmethod
    def issue(
        cls,
        *,
        customer_id: str,
        invoice_id: str,
        order_id: str,
        amount: Money,
        due_date: date,
        at: datetime,
        by: Principal,
    ) -> Invoice:
        amount.check_positive("an invoice amount")
        return cls(
            customer_id=customer_id,
            invoice_id=invoice_id,
            order_id=order_id,
            amount=amount,
            due_date=due_date,
            at=at,
            by=by,
        )

    @property
    def balance(self) -> Money:
        return self.amount - self.paid

    def standing(self, open_complaints: list[str]) -> InvoiceStanding:
        """The facts the hold rule reads, with the complaints open on the invoiced order."""
        return InvoiceStanding(
            due_date=self.due_date,
            balance=self.balance.amount,
            open_detailed_requests=tuple(self.open_detailed_requests),
            deferrals=tuple(self.deferrals),
            open_dispute=self.open_dispute,
            open_complaints=tuple(open_complaints),
            dunning_level=self.dunning_level,
            last_dunning_on=self.last_dunning_on,
            handed_to_collection=self.handed_to_collection,
        )

    # Touchpoints -------------------------------------------------------------------------

    def request_detailed_invoice(self, *, note: str | None, at: datetime, by: Principal) -> None:
        self._detailed_invoice_requested(note=note, at=at, by=by)

    @event("DetailedInvoiceRequested")
    def _detailed_invoice_requested(self, note: str | None, at: datetime, by: Principal) -> None:
        self.open_detailed_requests.append(note or DETAILED_REQUEST)

    def issue_corrected_invoice(
        self,
        *,
        amount: Money | None,
        due_date: date | None,
        note: str | None,
        at: datetime,
        by: Principal,
    ) -> None:
        """Send a corrected (detailed) invoice; it answers every open detailed-invoice request."""
        if amount is not None:
            self.amount.check_same_currency(amount)
            amount.check_positive("a corrected invoice amount")
        self._corrected_invoice_issued(amount=amount, due_date=due_date, note=note, at=at, by=by)

    @event("CorrectedInvoiceIssued")
    def _corrected_invoice_issued(
        self, amount: Money | None, due_date: date | None, note: str | None, at: datetime, by: Principal
    ) -> None:
        self.amount = amount or self.amount
        self.due_date = due_date or self.due_date
        self.open_detailed_requests.clear()

    def receive_payment(self, *, amount: Money, at: datetime, by: Principal) -> None:
        self.amount.check_same_currency(amount)
        amount.check_positive("a payment")
        self._payment_received(amount=amount, at=at, by=by)

    @event("PaymentReceived")
    def _payment_received(self, amount: Money, at: datetime, by: Principal) -> None:
        self.paid = self.paid + amount

    def grant_deferral(self, *, until: date, reason: str, at: datetime, by: Principal) -> None:
        self.check_open("deferred")
        if until < at.date():
            raise DomainError(f"a deferral must last until today or later, not {until}", "deferral-in-the-past")
        self._payment_deferral_granted(until=until, reason=reason, at=at, by=by)

    @event("PaymentDeferralGranted")
    def _payment_deferral_granted(self, until: date, reason: str, at: datetime, by: Principal) -> None:
        self.deferrals.append(Deferral(until=until, reason=reason, granted_by=by.label))

    def open_dispute_about(self, *, reason: str, at: datetime, by: Principal) -> None:
        if self.open_dispute is not None:
            raise InvalidTransitionError(f"invoice {self.invoice_id} is already disputed")
        self._dispute_opened(reason=reason, at=at, by=by)

    @event("DisputeOpened")
    def _dispute_opened(self, reason: str, at: datetime, by: Principal) -> None:
        self.open_dispute = reason

    def resolve_dispute(self, *, resolution: str, at: datetime, by: Principal) -> None:
        if self.open_dispute is None:
            raise InvalidTransitionError(f"invoice {self.invoice_id} has no open dispute")
        self._dispute_resolved(resolution=resolution, at=at, by=by)

    @event("DisputeResolved")
    def _dispute_resolved(self, resolution: str, at: datetime, by: Principal) -> None:
        self.open_dispute = None

    # Decisions guarded by the hold rule ---------------------------------------------------

    def check_open(self, step: str) -> None:
        if is_settled(self.balance.amount):
            raise InvalidTransitionError(f"invoice {self.invoice_id} is paid; cannot be {step}")

    def check_dunning_allowed(
        self, open_complaints: list[str], policy: DunningPolicy, today: date, *, hand_off: bool
    ) -> None:
        refusals = dunning_refusals(self.standing(open_complaints), today, policy, hand_off=hand_off)
        if refusals:
            raise DunningRefusedError(refusals)

    def reach_next_dunning_level(
        self, *, open_complaints: list[str], policy: DunningPolicy, at: datetime, by: Principal
    ) -> int:
        self.check_dunning_allowed(open_complaints, policy, at.date(), hand_off=False)
        self._dunning_level_reached(level=self.dunning_level + 1, at=at, by=by)
        return self.dunning_level

    @event("DunningLevelReached")
    def _dunning_level_reached(self, level: int, at: datetime, by: Principal) -> None:
        self.dunning_level = level
        self.last_dunning_on = at.date()

    def hand_to_collection(
        self, *, open_complaints: list[str], policy: DunningPolicy, at: datetime, by: Principal
    ) -> None:
        self.check_dunning_allowed(open_complaints, policy, at.date(), hand_off=True)
        self._handed_to_collection(at=at, by=by)

    @event("HandedToCollection")
    def _handed_to_collection(self, at: datetime, by: Principal) -> None:
        self.handed_to_collection = True
        self.last_dunning_on = at.date()
