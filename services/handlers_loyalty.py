"""The handlers of the loyalty card's and the raffles' commands (registered with
``services.handlers.handle``). Points are earned and taken back by the billing handlers
themselves (``services.handlers.earn_points``, ``reverse_points``), in the same write."""

from __future__ import annotations

import secrets

from domain import commands as c
from domain.customer import Customer
from domain.errors import InvalidTransitionError
from domain.loyalty_card import LoyaltyCard
from domain.raffle import Raffle
from domain.values import Principal
from services.handlers import ALL, LOYALTY_LEFT, LOYALTY_MEMBERS, Context, Events, handle
from services.unit_of_work import UnitOfWork


@handle.register
def _(cmd: c.EnrollInLoyalty, uow: UnitOfWork, ctx: Context) -> Events:
    uow.get(Customer, cmd.customer_id).check_not_erased("enrolled")
    uow.check_new(LoyaltyCard, cmd.customer_id)
    uow.link(LOYALTY_MEMBERS, ALL, cmd.customer_id)
    return uow.record(LoyaltyCard(customer_id=cmd.customer_id, at=ctx.at, by=ctx.by))


@handle.register
def _(cmd: c.RedeemPoints, uow: UnitOfWork, ctx: Context) -> Events:
    card = uow.get(LoyaltyCard, cmd.customer_id)
    card.redeem(points=cmd.points, reward=cmd.reward, at=ctx.at, by=ctx.by)
    return uow.record(card)


@handle.register
def _(cmd: c.ExpirePoints, uow: UnitOfWork, ctx: Context) -> Events:
    card = uow.get(LoyaltyCard, cmd.customer_id)
    if not card.expire(at=ctx.at, by=ctx.by):
        raise InvalidTransitionError(f"no points of customer {cmd.customer_id} are past their expiry", "nothing-to-expire")
    return uow.record(card)


@handle.register
def _(cmd: c.AnnounceRaffle, uow: UnitOfWork, ctx: Context) -> Events:
    Raffle.check_announcement(cmd.prizes, cmd.draw_on, ctx.at.date())
    uow.check_new(Raffle, cmd.raffle_id)
    raffle = Raffle(raffle_id=cmd.raffle_id, prize=cmd.prize, prizes=cmd.prizes, draw_on=cmd.draw_on, at=ctx.at,
                    by=Principal(ctx.by.department))  # a raffle is no customer's: the department acted
    return uow.record(raffle)


@handle.register
def _(cmd: c.DrawRaffle, uow: UnitOfWork, ctx: Context) -> Events:
    """Every card holder enters; the seed comes from the operating system's randomness and is
    recorded, so the draw can be checked and never steered."""
    raffle = uow.get(Raffle, cmd.raffle_id)
    left = set(uow.members(LOYALTY_LEFT, ALL))  # erased: their cards take part no more
    entrants = [m for m in uow.members(LOYALTY_MEMBERS, ALL) if m not in left]
    winners = raffle.draw(entrants=entrants, seed=secrets.randbits(63), at=ctx.at, by=ctx.by)
    cards = [uow.get(LoyaltyCard, winner) for winner in winners]
    for card in cards:
        card.win(raffle_id=raffle.raffle_id, prize=raffle.prize, at=ctx.at, by=ctx.by)
    return uow.record(raffle, *cards)
