"""The handler of the erasure command (registered with ``services.handlers.handle``)."""

from __future__ import annotations

from domain import commands as c
from domain.contact_book import ContactBook
from domain.customer import Customer
from domain.loyalty_card import LoyaltyCard
from domain.values import Principal
from services.handlers import ALL, LOYALTY_LEFT, Context, Events, handle
from services.unit_of_work import UnitOfWork


@handle.register
def _(cmd: c.ErasePersonalData, uow: UnitOfWork, ctx: Context) -> Events:
    """Erase, and in the same write cancel the contacts still waiting for the mailing tool and
    take a loyalty card out of the raffles."""
    customer = uow.get(Customer, cmd.customer_id)
    customer.erase_personal_data(at=ctx.at, by=ctx.by)
    book = uow.find(ContactBook, cmd.customer_id)
    if book is not None:
        book.cancel_waiting(cause="erased", at=ctx.at, by=Principal(ctx.by.department))
    if uow.find(LoyaltyCard, cmd.customer_id) is not None:
        uow.link(LOYALTY_LEFT, ALL, cmd.customer_id)
    return uow.record(customer, *([book] if book is not None else []))
