"""The Invoice aggregate: what is owed, what was promised, and how far dunning went."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.accounts import InvoiceAccount
from domain.errors import DomainError, DunningRefusedError, InvalidTransitionError, UnknownError
from domain.holds import (
    DETAILED_REQUEST,
    Deferral,
    DunningPolicy,
    InvoiceStanding,
    deferral_active,
    dunning_refusals,
)
from domain.provenance import Facts, correction_facts, credit_facts, deferral_facts, dispute_facts, dunning_facts
from domain.values import Money, Principal, aggregate_id


class Decision(Aggregate.Event):
    """A department decision: version 2 records the facts it was ``checked`` against
    (domain.provenance); a version 1 event reads with ``checked`` None."""

    at: datetime
    by: Principal
    checked: Facts | None

    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, object]) -> None:
        state.setdefault("checked", None)


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
        zero = Money(amount.amount * 0, amount.currency)
        self.paid = zero
        self.credited = zero
        self.written_off = zero
        self.applied = zero
        self.transferred = zero
        self.open_detailed_requests: list[str] = []
        self.deferrals: list[Deferral] = []
        self.deferrals_granted = 0
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
    def account(self) -> InvoiceAccount:
        """The amount and what moved against it: what is owed, in excess and still credit-able
        follows."""
        return InvoiceAccount(
            self.amount.amount, self.paid.amount, self.credited.amount, self.written_off.amount,
            self.applied.amount, self.transferred.amount,
        )

    def _money(self, amount: Decimal) -> Money:
        return Money(amount, self.amount.currency)

    @property
    def balance(self) -> Money:
        """What is still owed (``InvoiceAccount.balance``); never negative."""
        return self._money(self.account.balance)

    @property
    def customer_credit(self) -> Money:
        """What the customer paid in excess of what is owed."""
        return self._money(self.account.credit)

    @property
    def creditable(self) -> Money:
        """What credit notes may still take off: the amount less what was credited or written off."""
        return self._money(self.account.creditable)

    def standing(self, open_complaints: list[str]) -> InvoiceStanding:
        """The facts the hold rule reads, with the complaints open on the invoiced order."""
        return InvoiceStanding(
            due_date=self.due_date,
            balance=self.account.net,
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
        checked = correction_facts(self.amount.amount, self.due_date, len(self.open_detailed_requests), at.date())
        self._corrected_invoice_issued(amount=amount, due_date=due_date, note=note, at=at, by=by, checked=checked)

    class CorrectedInvoiceIssued(Decision):
        amount: Money | None
        due_date: date | None
        note: str | None

    @event(CorrectedInvoiceIssued)
    def _corrected_invoice_issued(
        self, amount: Money | None, due_date: date | None, note: str | None, at: datetime, by: Principal,
        checked: Facts | None,
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

    def grant_deferral(
        self, *, until: date, reason: str, policy: DunningPolicy, at: datetime, by: Principal
    ) -> None:
        """Promise the customer no dunning until and including ``until``: from today up to
        ``policy.max_deferral`` ahead."""
        self.check_open("deferred")
        self.check_deferral(until, at.date(), policy)
        checked = deferral_facts(until, at.date(), policy, settled=self.account.settled)
        self._payment_deferral_granted(until=until, reason=reason, at=at, by=by, checked=checked)

    @staticmethod
    def check_deferral(until: date, today: date, policy: DunningPolicy) -> None:
        if until < today:
            raise DomainError(f"a deferral must last until today or later, not {until}", "deferral-in-the-past")
        latest = today + policy.max_deferral
        if until > latest:
            raise DomainError(
                f"a deferral may last at most {policy.max_deferral.days} days, until {latest}; not {until}",
                "deferral-too-long",
            )

    class PaymentDeferralGranted(Decision):
        until: date
        reason: str

    @event(PaymentDeferralGranted)
    def _payment_deferral_granted(
        self, until: date, reason: str, at: datetime, by: Principal, checked: Facts | None
    ) -> None:
        self.deferrals_granted += 1
        self.deferrals.append(Deferral(until, reason, by.label, self.deferrals_granted, by.department.value))

    def deferral(self, number: int, today: date, by: Principal) -> Deferral:
        """Deferral ``number`` while it still holds, for the department that granted it."""
        found = next((d for d in self.deferrals if d.number == number), None)
        if found is None:
            raise UnknownError("deferral", f"{self.invoice_id}/{number}")
        if found.department != by.department.value:
            raise InvalidTransitionError(
                f"deferral {number} of invoice {self.invoice_id} was granted by {found.department}; "
                f"only {found.department} may change it", "promise-of-another-department",
            )
        if not deferral_active(found.until, today):
            raise InvalidTransitionError(f"deferral {number} of invoice {self.invoice_id} ended on {found.until}")
        return found

    def revoke_deferral(self, *, number: int, reason: str, at: datetime, by: Principal) -> None:
        """Withdraw a promise the acting department made: dunning is no longer held by it."""
        self.deferral(number, at.date(), by)
        self._deferral_revoked(number=number, reason=reason, at=at, by=by)

    @event("DeferralRevoked")
    def _deferral_revoked(self, number: int, reason: str, at: datetime, by: Principal) -> None:
        self.deferrals = [d for d in self.deferrals if d.number != number]

    def shorten_deferral(self, *, number: int, until: date, reason: str, at: datetime, by: Principal) -> None:
        """Move the last day of a promise the acting department made earlier: to today or later,
        before its current last day."""
        current = self.deferral(number, at.date(), by)
        if not at.date() <= until < current.until:
            raise DomainError(
                f"deferral {number} may be shortened to a day from {at.date()} and before {current.until}, "
                f"not {until}", "invalid-deferral-end",
            )
        self._deferral_shortened(number=number, until=until, reason=reason, at=at, by=by)

    @event("DeferralShortened")
    def _deferral_shortened(self, number: int, until: date, reason: str, at: datetime, by: Principal) -> None:
        self.deferrals = [replace(d, until=until) if d.number == number else d for d in self.deferrals]

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
        self._dispute_resolved(resolution=resolution, at=at, by=by, checked=dispute_facts(True, at.date()))

    class DisputeResolved(Decision):
        resolution: str

    @event(DisputeResolved)
    def _dispute_resolved(self, resolution: str, at: datetime, by: Principal, checked: Facts | None) -> None:
        self.open_dispute = None

    # Credit notes -------------------------------------------------------------------------

    def credit_due(self, returned: Money | None) -> Money:
        """How much a return or a cancellation credits this invoice: with ``returned`` None (a
        cancellation or a whole return) all that is still credit-able; else the returned
        lines' value (``Order.returned_value``), capped by what is still credit-able."""
        if returned is None:
            return self.creditable
        self.amount.check_same_currency(returned)
        return self._money(min(returned.amount, self.account.creditable))

    def check_creditable(self, amount: Money) -> None:
        """A credit note never takes off more than the amount less what was credited or written off."""
        if amount.amount > self.account.creditable:
            raise DomainError(
                f"invoice {self.invoice_id} can be credited at most {self.creditable}, not {amount}",
                "credit-exceeds-invoice",
            )

    def credit(self, *, amount: Money, reason: str, at: datetime, by: Principal) -> None:
        """Issue a credit note: ``amount`` is no longer owed (what was paid beyond the rest
        becomes the customer's credit). Refused beyond what is still credit-able."""
        self.amount.check_same_currency(amount)
        amount.check_positive("a credit note")
        self.check_creditable(amount)
        checked = credit_facts(amount.amount, self.account.creditable, at.date())
        self._credit_note_issued(amount=amount, reason=reason, at=at, by=by, checked=checked)

    class CreditNoteIssued(Decision):
        amount: Money
        reason: str

    @event(CreditNoteIssued)
    def _credit_note_issued(
        self, amount: Money, reason: str, at: datetime, by: Principal, checked: Facts | None
    ) -> None:
        self.credited = self.credited + amount

    def write_off(self, *, reason: str, at: datetime, by: Principal) -> Money:
        """Give up what is still owed (billing): the balance is written off and the invoice is
        settled. Returns the amount written off."""
        self.check_open("written off")
        amount = self.balance
        self._written_off(amount=amount, reason=reason, at=at, by=by)
        return amount

    @event("WrittenOff")
    def _written_off(self, amount: Money, reason: str, at: datetime, by: Principal) -> None:
        self.written_off = self.written_off + amount

    # The customer's credit, offset against other invoices --------------------------------

    def transfer_credit(self, *, amount: Money, to_invoice: str, at: datetime, by: Principal) -> None:
        """Take ``amount`` of this invoice's credit to pay invoice ``to_invoice``."""
        self.amount.check_same_currency(amount)
        amount.check_positive("an offset")
        if amount.amount > self.account.credit:
            raise DomainError(f"invoice {self.invoice_id} has a credit of {self.customer_credit}, not {amount}",
                              "credit-exceeded")
        self._credit_transferred(amount=amount, to_invoice=to_invoice, at=at, by=by)

    @event("CreditTransferred")
    def _credit_transferred(self, amount: Money, to_invoice: str, at: datetime, by: Principal) -> None:
        self.transferred = self.transferred + amount

    def apply_credit(self, *, amount: Money, from_invoice: str, at: datetime, by: Principal) -> None:
        """Count ``amount`` of the customer's credit on invoice ``from_invoice`` as paid here."""
        self.amount.check_same_currency(amount)
        amount.check_positive("an offset")
        if amount.amount > self.account.balance:
            raise DomainError(f"invoice {self.invoice_id} owes {self.balance}, less than {amount}", "offset-exceeds-balance")
        self._credit_applied(amount=amount, from_invoice=from_invoice, at=at, by=by)

    @event("CreditApplied")
    def _credit_applied(self, amount: Money, from_invoice: str, at: datetime, by: Principal) -> None:
        self.applied = self.applied + amount

    # Decisions guarded by the hold rule ---------------------------------------------------

    def check_open(self, step: str) -> None:
        if self.account.settled:
            raise InvalidTransitionError(f"invoice {self.invoice_id} is settled; cannot be {step}")

    def check_dunning_allowed(
        self, open_complaints: list[str], policy: DunningPolicy, today: date, *, hand_off: bool
    ) -> Facts:
        """The facts the hold rule was checked against; DunningRefusedError naming every reason
        when it refuses."""
        standing = self.standing(open_complaints)
        refusals = dunning_refusals(standing, today, policy, hand_off=hand_off)
        if refusals:
            raise DunningRefusedError(refusals)
        return dunning_facts(standing, today, policy, hand_off=hand_off)

    def reach_next_dunning_level(
        self, *, open_complaints: list[str], policy: DunningPolicy, at: datetime, by: Principal
    ) -> int:
        checked = self.check_dunning_allowed(open_complaints, policy, at.date(), hand_off=False)
        self._dunning_level_reached(level=self.dunning_level + 1, at=at, by=by, checked=checked)
        return self.dunning_level

    class DunningLevelReached(Decision):
        level: int

    @event(DunningLevelReached)
    def _dunning_level_reached(self, level: int, at: datetime, by: Principal, checked: Facts | None) -> None:
        self.dunning_level = level
        self.last_dunning_on = at.date()

    def hand_to_collection(
        self, *, open_complaints: list[str], policy: DunningPolicy, at: datetime, by: Principal
    ) -> None:
        checked = self.check_dunning_allowed(open_complaints, policy, at.date(), hand_off=True)
        self._handed_to_collection(at=at, by=by, checked=checked)

    class HandedToCollection(Decision):
        pass

    @event(HandedToCollection)
    def _handed_to_collection(self, at: datetime, by: Principal, checked: Facts | None) -> None:
        self.handed_to_collection = True
        self.last_dunning_on = at.date()


def credit_offsets(invoices: Iterable[Invoice]) -> list[tuple[Invoice, Invoice, Money]]:
    """How a customer's credit pays the customer's open invoices: per currency, the credit of
    each invoice in the order given pays the open invoices by earliest due date first (then by
    id), as far as it goes; an invoice under an open dispute is left alone (the customer
    contests what it says is owed). ``(source, target, amount)`` triples; empty when nothing
    offsets."""
    given = list(invoices)
    offsets: list[tuple[Invoice, Invoice, Money]] = []
    owing = sorted(
        (i for i in given if i.account.balance > 0 and i.open_dispute is None),
        key=lambda i: (i.due_date, i.invoice_id),
    )
    owed = {i.invoice_id: i.account.balance for i in owing}
    for source in given:
        credit = source.account.credit
        for target in owing:
            if credit <= 0:
                break
            if target.amount.currency != source.amount.currency or owed[target.invoice_id] <= 0:
                continue
            amount = min(credit, owed[target.invoice_id])
            owed[target.invoice_id] -= amount
            credit -= amount
            offsets.append((source, target, Money(amount, source.amount.currency)))
    return offsets


def credits_for(invoices: Iterable[Invoice], returned: Money | None) -> list[tuple[Invoice, Money]]:
    """What a return or a cancellation credits each of an order's invoices, in the order given,
    leaving out invoices with nothing to credit. With ``returned`` None (a cancellation or a whole
    return) every invoice is credited all that is still credit-able; else the returned value is
    spread over the invoices in turn, each credited at most what is still credit-able on it, so
    a partial return is never credited twice."""
    credits: list[tuple[Invoice, Money]] = []
    left = returned
    for invoice in invoices:
        amount = invoice.credit_due(left)
        if amount.amount > 0:
            credits.append((invoice, amount))
            left = None if left is None else left - amount
    return credits
