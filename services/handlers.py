"""One handler per command: load, call one aggregate method, record. Returns the new events,
the touchpoint first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import singledispatch
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEventProtocol

from domain import commands as c
from domain.complaint import Complaint
from domain.contact import ContactPolicy
from domain.currencies import format_amount
from domain.customer import Customer
from domain.errors import InvalidTransitionError
from domain.holds import DunningPolicy
from domain.invoice import Invoice, credit_offsets, credits_for
from domain.loyalty import LoyaltyPolicy
from domain.loyalty_card import LoyaltyCard
from domain.order import Order
from domain.values import Money, Principal
from services.unit_of_work import UnitOfWork

Events = list[DomainEventProtocol]

#: Links kept beside the stream (adapters.write_store): an order's invoices and complaints.
ORDER_INVOICE = "order-invoice"
ORDER_COMPLAINT = "order-complaint"
#: A customer's invoices, for offsetting its credit and for the contact rule's holds.
CUSTOMER_INVOICE = "customer-invoice"
#: A customer's complaints, for the contact rule's holds.
CUSTOMER_COMPLAINT = "customer-complaint"
#: The loyalty card holders (owner ``all``), for the expiry job and the raffles; those whose
#: personal data was erased are linked as having left (they enter no raffle).
LOYALTY_MEMBERS, LOYALTY_LEFT, ALL = "loyalty-members", "loyalty-left", "all"


@dataclass(frozen=True)
class Context:
    """When and by whom a command is carried out, and the policies in force: dunning, the
    contact rule's holds, the loyalty card's points."""

    at: datetime
    by: Principal
    policy: DunningPolicy
    contact_policy: ContactPolicy = ContactPolicy()
    loyalty_policy: LoyaltyPolicy = LoyaltyPolicy()


#: The aggregate each creating command starts, and the field naming it.
CREATES: dict[type, tuple[type, str]] = {
    c.RegisterCustomer: (Customer, "customer_id"),
    c.PlaceOrder: (Order, "order_id"),
    c.IssueInvoice: (Invoice, "invoice_id"),
    c.FileComplaint: (Complaint, "complaint_id"),
}


def created_id(command: object) -> UUID | None:
    """The id of the aggregate ``command`` would create, if it creates one."""
    created = CREATES.get(type(command))
    if created is None:
        return None
    cls: Any = created[0]
    return cls.create_id(getattr(command, created[1]))


#: What each command answers besides the position, from the command and its events.
ANSWERS: dict[type, Any] = {
    c.DunInvoice: lambda cmd, events: {"level": events[0].level},
    c.FileComplaint: lambda cmd, events: {"complaint_id": cmd.complaint_id},
    c.PlaceOrder: lambda cmd, events: {"order_id": cmd.order_id},
    c.WriteOffInvoice: lambda cmd, events: {"amount": jsonable_money(events[0].amount)},
    c.OffsetCredit: lambda cmd, events: {"offsets": offsets_made(events)},
    c.ContactCustomer: lambda cmd, events: {
        "contact_id": cmd.contact_id, "allowed": not getattr(events[-1], "reasons", []),
        "reasons": getattr(events[-1], "reasons", []),
    },
    c.RecordInboundContact: lambda cmd, events: {"contact_id": cmd.contact_id},
    c.AcknowledgeContacts: lambda cmd, events: {"acknowledged": [e.contact_id for e in events]},
    c.AnnounceRaffle: lambda cmd, events: {"raffle_id": cmd.raffle_id},
    c.DrawRaffle: lambda cmd, events: {"winners": events[0].winners, "seed": str(events[0].seed),
                                       "entrants": len(events[0].entrants)},
}


def answer_of(command: object, events: Events) -> dict[str, Any]:
    """What a department is told besides the position (kept with an Idempotency-Key, so a
    retry is told the same): the dunning level a step reached, the amount written off, the
    offsets made, whether a contact was made and every reason it was refused."""
    answer = ANSWERS.get(type(command))
    return {} if answer is None else answer(command, events)


def offsets_made(events: Events) -> list[dict[str, str]]:
    """Each credit offset of a write: the invoice whose credit paid, the invoice it paid, how
    much (a ``CreditApplied`` names where the credit came from, the ``CreditTransferred`` of
    that invoice where it went)."""
    named: list[Any] = list(events)
    went = {
        (e.originator_id, Invoice.create_id(e.to_invoice)): e.to_invoice
        for e in named if type(e).__qualname__ == "Invoice.CreditTransferred"
    }
    return [
        {"from_invoice": e.from_invoice, "to_invoice": went[(Invoice.create_id(e.from_invoice), e.originator_id)],
         **jsonable_money(e.amount)}
        for e in named if type(e).__qualname__ == "Invoice.CreditApplied"
    ]


def jsonable_money(money: Money) -> dict[str, str]:
    return {"amount": format_amount(money.amount, money.currency), "currency": money.currency}


@singledispatch
def handle(command: object, uow: UnitOfWork, ctx: Context) -> Events:
    raise TypeError(f"no handler for {type(command).__name__}")


@handle.register
def _(cmd: c.RegisterCustomer, uow: UnitOfWork, ctx: Context) -> Events:
    uow.check_new(Customer, cmd.customer_id)
    customer = Customer(
        customer_id=cmd.customer_id, name=cmd.name, email=cmd.email, birthday=cmd.birthday,
        phone=cmd.phone, address=cmd.address, at=ctx.at, by=ctx.by,
    )
    return uow.record(customer)


@handle.register
def _(cmd: c.ChangeContactDetails, uow: UnitOfWork, ctx: Context) -> Events:
    customer = uow.get(Customer, cmd.customer_id)
    customer.change_contact_details(
        email=cmd.email, phone=cmd.phone, address=cmd.address, at=ctx.at, by=ctx.by
    )
    return uow.record(customer)


@handle.register
def _(cmd: c.PlaceOrder, uow: UnitOfWork, ctx: Context) -> Events:
    uow.get(Customer, cmd.customer_id)
    uow.check_new(Order, cmd.order_id)
    order = Order.place(
        customer_id=cmd.customer_id, order_id=cmd.order_id, lines=list(cmd.lines),
        currency=cmd.currency, at=ctx.at, by=ctx.by,
    )
    return uow.record(order)


@handle.register
def _(cmd: c.ShipOrder, uow: UnitOfWork, ctx: Context) -> Events:
    order = uow.get(Order, cmd.order_id, cmd.customer_id)
    order.ship(at=ctx.at, by=ctx.by)
    return uow.record(order)


@handle.register
def _(cmd: c.DeliverOrder, uow: UnitOfWork, ctx: Context) -> Events:
    order = uow.get(Order, cmd.order_id, cmd.customer_id)
    order.deliver(at=ctx.at, by=ctx.by)
    return uow.record(order)


@handle.register
def _(cmd: c.CancelOrder, uow: UnitOfWork, ctx: Context) -> Events:
    order = uow.get(Order, cmd.order_id, cmd.customer_id)
    order.cancel(reason=cmd.reason, at=ctx.at, by=ctx.by)
    return uow.record(order, *credit_invoices(uow, order, None, "cancelled", ctx))


@handle.register
def _(cmd: c.ReturnOrder, uow: UnitOfWork, ctx: Context) -> Events:
    order = uow.get(Order, cmd.order_id, cmd.customer_id)
    order.take_back(lines=None if cmd.lines is None else list(cmd.lines), at=ctx.at, by=ctx.by)
    returned = None if cmd.lines is None else order.returned_value(cmd.lines)
    return uow.record(order, *credit_invoices(uow, order, returned, "returned", ctx))


@handle.register
def _(cmd: c.IssueInvoice, uow: UnitOfWork, ctx: Context) -> Events:
    uow.get(Order, cmd.order_id, cmd.customer_id).check_invoice(cmd.amount)
    uow.check_new(Invoice, cmd.invoice_id)
    invoice = Invoice.issue(
        customer_id=cmd.customer_id, invoice_id=cmd.invoice_id, order_id=cmd.order_id,
        amount=cmd.amount, due_date=cmd.due_date, at=ctx.at, by=ctx.by,
    )
    uow.link(ORDER_INVOICE, cmd.order_id, cmd.invoice_id)
    uow.link(CUSTOMER_INVOICE, cmd.customer_id, cmd.invoice_id)
    return uow.record(invoice)


@handle.register
def _(cmd: c.RequestDetailedInvoice, uow: UnitOfWork, ctx: Context) -> Events:
    invoice = uow.get(Invoice, cmd.invoice_id, cmd.customer_id)
    invoice.request_detailed_invoice(note=cmd.note, at=ctx.at, by=ctx.by)
    return uow.record(invoice)


@handle.register
def _(cmd: c.IssueCorrectedInvoice, uow: UnitOfWork, ctx: Context) -> Events:
    invoice = uow.get(Invoice, cmd.invoice_id, cmd.customer_id)
    invoice.issue_corrected_invoice(
        amount=cmd.amount, due_date=cmd.due_date, note=cmd.note, at=ctx.at, by=ctx.by
    )
    return uow.record(invoice)


@handle.register
def _(cmd: c.ReceivePayment, uow: UnitOfWork, ctx: Context) -> Events:
    invoice = uow.get(Invoice, cmd.invoice_id, cmd.customer_id)
    invoice.receive_payment(amount=cmd.amount, at=ctx.at, by=ctx.by)
    return uow.record(invoice, *earn_points(uow, invoice, ctx))


def earn_points(uow: UnitOfWork, invoice: Invoice, ctx: Context) -> list[LoyaltyCard]:
    """A card holder's points for an invoice this payment paid in full (the paid part of what
    was owed after credit notes), in the same write (domain/loyalty.py)."""
    if invoice.balance.amount > 0:
        return []
    card = uow.find(LoyaltyCard, invoice.customer_id)
    if card is None:
        return []
    owed = invoice.amount.amount - invoice.credited.amount
    card.earn(invoice_id=invoice.invoice_id, amount=min(invoice.paid.amount, owed), policy=ctx.loyalty_policy, at=ctx.at,
              by=ctx.by)
    return [card]


def reverse_points(uow: UnitOfWork, invoices: list[tuple[Invoice, Money]], ctx: Context) -> list[LoyaltyCard]:
    """Take back the points of what credit notes credited on invoices that earned points."""
    cards: dict[str, LoyaltyCard] = {}
    for invoice, amount in invoices:
        card = cards.get(invoice.customer_id) or uow.find(LoyaltyCard, invoice.customer_id)
        if card is not None and card.lot(invoice.invoice_id) is not None:
            card.reverse(invoice_id=invoice.invoice_id, amount=amount.amount, policy=ctx.loyalty_policy, at=ctx.at, by=ctx.by)
            cards[invoice.customer_id] = card
    return list(cards.values())


@handle.register
def _(cmd: c.GrantDeferral, uow: UnitOfWork, ctx: Context) -> Events:
    invoice = uow.get(Invoice, cmd.invoice_id, cmd.customer_id)
    invoice.grant_deferral(until=cmd.until, reason=cmd.reason, policy=ctx.policy, at=ctx.at, by=ctx.by)
    return uow.record(invoice)


@handle.register
def _(cmd: c.OpenDispute, uow: UnitOfWork, ctx: Context) -> Events:
    invoice = uow.get(Invoice, cmd.invoice_id, cmd.customer_id)
    invoice.open_dispute_about(reason=cmd.reason, at=ctx.at, by=ctx.by)
    return uow.record(invoice)


@handle.register
def _(cmd: c.ResolveDispute, uow: UnitOfWork, ctx: Context) -> Events:
    invoice = uow.get(Invoice, cmd.invoice_id, cmd.customer_id)
    invoice.resolve_dispute(resolution=cmd.resolution, at=ctx.at, by=ctx.by)
    return uow.record(invoice)


@handle.register
def _(cmd: c.IssueCreditNote, uow: UnitOfWork, ctx: Context) -> Events:
    invoice = uow.get(Invoice, cmd.invoice_id)
    invoice.credit(amount=cmd.amount, reason=cmd.reason, at=ctx.at, by=ctx.by)
    return uow.record(invoice, *reverse_points(uow, [(invoice, cmd.amount)], ctx))


@handle.register
def _(cmd: c.WriteOffInvoice, uow: UnitOfWork, ctx: Context) -> Events:
    invoice = uow.get(Invoice, cmd.invoice_id)
    invoice.write_off(reason=cmd.reason, at=ctx.at, by=ctx.by)
    return uow.record(invoice)


@handle.register
def _(cmd: c.RevokeDeferral, uow: UnitOfWork, ctx: Context) -> Events:
    invoice = uow.get(Invoice, cmd.invoice_id)
    invoice.revoke_deferral(number=cmd.number, reason=cmd.reason, at=ctx.at, by=ctx.by)
    return uow.record(invoice)


@handle.register
def _(cmd: c.ShortenDeferral, uow: UnitOfWork, ctx: Context) -> Events:
    invoice = uow.get(Invoice, cmd.invoice_id)
    invoice.shorten_deferral(number=cmd.number, until=cmd.until, reason=cmd.reason, at=ctx.at, by=ctx.by)
    return uow.record(invoice)


@handle.register
def _(cmd: c.OffsetCredit, uow: UnitOfWork, ctx: Context) -> Events:
    uow.get(Customer, cmd.customer_id)
    invoices = [uow.get(Invoice, i) for i in uow.members(CUSTOMER_INVOICE, cmd.customer_id)]
    if cmd.currency is not None:
        invoices = [i for i in invoices if i.amount.currency == cmd.currency]
    offsets = credit_offsets(invoices)
    if not offsets:
        raise InvalidTransitionError(
            f"customer {cmd.customer_id} has no credit that an open invoice could take"
            + (f" in {cmd.currency}" if cmd.currency else ""), "nothing-to-offset",
        )
    for source, target, amount in offsets:
        source.transfer_credit(amount=amount, to_invoice=target.invoice_id, at=ctx.at, by=ctx.by)
        target.apply_credit(amount=amount, from_invoice=source.invoice_id, at=ctx.at, by=ctx.by)
    touched = {i.invoice_id: i for pair in offsets for i in pair[:2]}
    return uow.record(*touched.values())


def credit_invoices(
    uow: UnitOfWork, order: Order, returned: Money | None, what: str, ctx: Context
) -> list[Aggregate]:
    """Issue a credit note on each invoice of ``order`` for goods that came back (``returned``
    value, or everything still credit-able when None), so billing never duns for them; and take
    back the loyalty points of what was credited."""
    invoices = [uow.get(Invoice, i) for i in uow.members(ORDER_INVOICE, order.order_id)]
    credited = credits_for(invoices, returned)
    for invoice, amount in credited:
        invoice.credit(amount=amount, reason=f"order {order.order_id} {what}", at=ctx.at, by=ctx.by)
    return [*invoices, *reverse_points(uow, credited, ctx)]


def open_complaints(uow: UnitOfWork, order_id: str) -> list[str]:
    """The complaints open on ``order_id``: what a dunning decision on its invoices consults."""
    complaints = (uow.get(Complaint, cid) for cid in uow.members(ORDER_COMPLAINT, order_id))
    return [c.complaint_id for c in complaints if not c.resolved]


@handle.register
def _(cmd: c.DunInvoice, uow: UnitOfWork, ctx: Context) -> Events:
    invoice = uow.get(Invoice, cmd.invoice_id)
    invoice.reach_next_dunning_level(
        open_complaints=open_complaints(uow, invoice.order_id), policy=ctx.policy, at=ctx.at, by=ctx.by
    )
    return uow.record(invoice)


@handle.register
def _(cmd: c.HandToCollection, uow: UnitOfWork, ctx: Context) -> Events:
    invoice = uow.get(Invoice, cmd.invoice_id)
    invoice.hand_to_collection(
        open_complaints=open_complaints(uow, invoice.order_id), policy=ctx.policy, at=ctx.at, by=ctx.by
    )
    return uow.record(invoice)


@handle.register
def _(cmd: c.FileComplaint, uow: UnitOfWork, ctx: Context) -> Events:
    order = uow.get(Order, cmd.order_id, cmd.customer_id)
    order.check_product_group(cmd.product_group)
    uow.check_new(Complaint, cmd.complaint_id)
    complaint = Complaint(
        customer_id=cmd.customer_id, complaint_id=cmd.complaint_id, order_id=cmd.order_id,
        product_group=cmd.product_group, text=cmd.text, at=ctx.at, by=ctx.by,
    )
    uow.link(ORDER_COMPLAINT, cmd.order_id, cmd.complaint_id)
    uow.link(CUSTOMER_COMPLAINT, cmd.customer_id, cmd.complaint_id)
    return uow.record(complaint)


@handle.register
def _(cmd: c.AnswerComplaint, uow: UnitOfWork, ctx: Context) -> Events:
    complaint = uow.get(Complaint, cmd.complaint_id, cmd.customer_id)
    complaint.answer(text=cmd.text, at=ctx.at, by=ctx.by)
    return uow.record(complaint)


@handle.register
def _(cmd: c.ResolveComplaint, uow: UnitOfWork, ctx: Context) -> Events:
    complaint = uow.get(Complaint, cmd.complaint_id, cmd.customer_id)
    complaint.resolve(note=cmd.note, at=ctx.at, by=ctx.by)
    return uow.record(complaint)
