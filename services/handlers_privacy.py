"""The handler of the erasure command (registered with ``services.handlers.handle``)."""

from __future__ import annotations

from domain import commands as c
from domain.customer import Customer
from services.handlers import Context, Events, handle
from services.unit_of_work import UnitOfWork


@handle.register
def _(cmd: c.ErasePersonalData, uow: UnitOfWork, ctx: Context) -> Events:
    customer = uow.get(Customer, cmd.customer_id)
    customer.erase_personal_data(at=ctx.at, by=ctx.by)
    return uow.record(customer)
