"""The handlers of the contact book's commands (registered with ``services.handlers.handle``):
consents, preferences, outbound contacts checked by the contact rule, inbound contacts, what
became of a contact, and the outbox's acknowledgements."""

from __future__ import annotations

from domain import commands as c
from domain.complaint import Complaint
from domain.contact import CustomerHolds, InvoiceFacts, holds_from
from domain.contact_book import HANDED_OVER, AlreadyAcknowledgedError, ContactBook
from domain.customer import Customer
from domain.errors import UnknownError
from domain.invoice import Invoice
from services.handlers import CUSTOMER_COMPLAINT, CUSTOMER_INVOICE, Context, Events, handle
from services.unit_of_work import UnitOfWork


def contact_book(uow: UnitOfWork, customer_id: str, ctx: Context) -> tuple[ContactBook, Customer]:
    """The customer's contact book (opened with its first entry) and the customer."""
    customer = uow.get(Customer, customer_id)
    book = uow.find(ContactBook, customer_id)
    if book is None:
        book = ContactBook(customer_id=customer_id, at=ctx.at, by=ctx.by)
    return book, customer


def customer_holds(uow: UnitOfWork, customer_id: str) -> CustomerHolds:
    """What the customer's invoices and complaints hold against promotion, read from the
    aggregates (``domain.contact.holds_from``; the policy says which count)."""
    invoices = (uow.get(Invoice, i) for i in uow.members(CUSTOMER_INVOICE, customer_id))
    complaints = (uow.get(Complaint, i) for i in uow.members(CUSTOMER_COMPLAINT, customer_id))
    return holds_from(
        (InvoiceFacts(i.invoice_id, i.balance.amount, i.dunning_level, i.handed_to_collection, i.open_dispute is not None)
         for i in invoices),
        (x.complaint_id for x in complaints if not x.resolved),
    )


@handle.register
def _(cmd: c.GiveConsent, uow: UnitOfWork, ctx: Context) -> Events:
    book, customer = contact_book(uow, cmd.customer_id, ctx)
    customer.check_not_erased("given a consent")
    book.give_consent(channel=cmd.channel, purpose=cmd.purpose, source=cmd.source, expires_on=cmd.expires_on,
                      confirmed=cmd.confirmed, at=ctx.at, by=ctx.by)
    return uow.record(book)


@handle.register
def _(cmd: c.ConfirmConsent, uow: UnitOfWork, ctx: Context) -> Events:
    book, customer = contact_book(uow, cmd.customer_id, ctx)
    customer.check_not_erased("asked to confirm a consent")
    book.confirm_consent(channel=cmd.channel, purpose=cmd.purpose, at=ctx.at, by=ctx.by)
    return uow.record(book)


@handle.register
def _(cmd: c.WithdrawConsent, uow: UnitOfWork, ctx: Context) -> Events:
    book, _ = contact_book(uow, cmd.customer_id, ctx)
    book.withdraw_consent(channel=cmd.channel, purpose=cmd.purpose, source=cmd.source, at=ctx.at, by=ctx.by)
    book.cancel_waiting(cause="consent-withdrawn", channel=cmd.channel, purpose=cmd.purpose, at=ctx.at, by=ctx.by)
    return uow.record(book)


@handle.register
def _(cmd: c.SetContactPreferences, uow: UnitOfWork, ctx: Context) -> Events:
    book, _ = contact_book(uow, cmd.customer_id, ctx)
    book.set_preferences(preferences=cmd.preferences, at=ctx.at, by=ctx.by)
    return uow.record(book)


@handle.register
def _(cmd: c.ContactCustomer, uow: UnitOfWork, ctx: Context) -> Events:
    book, customer = contact_book(uow, cmd.customer_id, ctx)
    book.contact(
        contact_id=cmd.contact_id, channel=cmd.channel, purpose=cmd.purpose, campaign=cmd.campaign,
        occasion=cmd.occasion, message=cmd.message, holds=customer_holds(uow, cmd.customer_id),
        erased=customer.erased, policy=ctx.contact_policy, at=ctx.at, by=ctx.by,
    )
    return uow.record(book)


@handle.register
def _(cmd: c.RecordInboundContact, uow: UnitOfWork, ctx: Context) -> Events:
    book, _ = contact_book(uow, cmd.customer_id, ctx)
    book.record_inbound(contact_id=cmd.contact_id, channel=cmd.channel, note=cmd.note, at=ctx.at, by=ctx.by)
    return uow.record(book)


@handle.register
def _(cmd: c.RecordContactResult, uow: UnitOfWork, ctx: Context) -> Events:
    book, _ = contact_book(uow, cmd.customer_id, ctx)
    book.record_result(contact_id=cmd.contact_id, result=cmd.result, reason=cmd.reason, at=ctx.at, by=ctx.by)
    return uow.record(book)


@handle.register
def _(cmd: c.AcknowledgeContacts, uow: UnitOfWork, ctx: Context) -> Events:
    books: dict[str, ContactBook] = {}
    for customer_id, contact_id in cmd.contacts:
        book = books.get(customer_id) or uow.find(ContactBook, customer_id)
        if book is None:
            raise UnknownError("contact", contact_id)
        book.check_made(contact_id)  # refused, inbound or cancelled: 409, it was never to go out
        books[customer_id] = book
        if book.awaits_handover(contact_id):
            book.record_result(contact_id=contact_id, result=HANDED_OVER, reason=None, at=ctx.at, by=ctx.by)
    events = uow.record(*books.values())
    if not events:
        raise AlreadyAcknowledgedError("every contact named was acknowledged before")
    return events
