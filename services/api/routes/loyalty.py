"""The loyalty card: taking one, redeeming points, the card as the customer's departments see
it, and raffles among the card holders. Points are earned and taken back by the payments and credit notes themselves (in the
same write); expiry is a daily job (``journey loyalty expire``)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from adapters.schemas import Id, Label
from domain import commands as c
from domain.access import Permission as P
from projections import lists as list_names
from services.api.auth import allow
from services.api.deps import AsOfPosition, AsOfTime, IdempotencyDep, JourneyDep, MinPosition, PathId
from services.api.openapi import COMMAND, READ, problem_responses
from services.api.routes.commands import carry_out
from services.api.routes.lists import PAGED, Cursor, Limit, check_cursor, get_lists, read_waiting
from services.api.routes.reads import point_in_time, read_logged, view_name
from services.api.schemas import Body, PositionOut
from services.api.view_schemas import LoyaltyView
from services.api.worklist_schemas import CardHoldersOut
from services.credentials import Caller
from services.raffles import raffle_report

router = APIRouter(tags=["loyalty"])


class RedemptionCreate(Body):
    points: int = Field(ge=1, le=10_000_000)
    reward: Label = Field(description="what the points bought: a voucher, a product, a discount code")


@router.post("/customers/{customer_id}/loyalty-card", status_code=201, response_model=PositionOut,
             summary="The customer takes a loyalty card: points on every invoice paid from now on",
             responses=problem_responses(*COMMAND, "unknown-customer", "loyalty-card-exists", "invalid-transition"))
async def enroll(
    customer_id: PathId, journey: JourneyDep, by: Annotated[Caller, allow(P.MANAGE_LOYALTY)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    written = await carry_out(journey, c.EnrollInLoyalty(customer_id), by, idempotency, response)
    return PositionOut(position=written.position)


@router.post("/customers/{customer_id}/loyalty-card/redemptions", status_code=201, response_model=PositionOut,
             summary="Redeem points, the ones expiring first first",
             responses=problem_responses(*COMMAND, "unknown-loyalty-card", "not-enough-points"))
async def redeem(
    customer_id: PathId, body: RedemptionCreate, journey: JourneyDep, by: Annotated[Caller, allow(P.MANAGE_LOYALTY)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    written = await carry_out(journey, c.RedeemPoints(customer_id, body.points, body.reward), by, idempotency, response)
    return PositionOut(position=written.position)


@router.get("/customers/{customer_id}/loyalty", response_model=LoyaltyView,
            summary="The loyalty card: balance, tier and discount, points about to expire, history",
            responses=problem_responses(*READ, "unknown-customer", "conflicting-parameters"))
async def loyalty_of(
    customer_id: PathId, journey: JourneyDep, response: Response, by: Annotated[Caller, allow(P.READ_LOYALTY)],
    min_position: MinPosition = None, as_of_position: AsOfPosition = None, as_of: AsOfTime = None,
) -> dict[str, Any]:
    point = await point_in_time(journey, as_of_position, as_of)
    await journey.reads.caught_up(min_position)
    return await read_logged(journey, by, view_name("loyalty", point), response, journey.reads.loyalty,
                             customer_id, as_of=point)


class RaffleCreate(Body):
    prize: Label = Field(description="what is won, e.g. a product or voucher name")
    prizes: int = Field(ge=1, le=10_000, description="how many win it")
    draw_on: date = Field(description="the day it may be drawn (today or later)")
    raffle_id: Id | None = Field(None, description="given by the caller, or made up when absent")


class RaffleCreatedOut(PositionOut):
    raffle_id: str


class DrawOut(PositionOut):
    winners: list[str]
    seed: str = Field(description="the recorded seed: draw_winners(sorted entrants, seed, prizes) gives the winners")
    entrants: int


class RaffleOut(BaseModel):
    """A raffle among the loyalty card holders, one ticket each."""

    raffle_id: str
    prize: str
    prizes: int
    draw_on: date
    drawn: bool
    entrants: int = Field(description="before the draw: the card holders now")
    odds: str = Field(description="each entrant's chance, as a fraction: prizes over entrants")
    drawn_at: str | None
    seed: str | None
    winners: list[str]
    verified: bool | None = Field(description="after the draw: the winners recomputed from the seed and entrants agree")


@router.post("/loyalty/raffles", status_code=201, response_model=RaffleCreatedOut,
             summary="Announce a raffle among the loyalty card holders",
             responses=problem_responses(*COMMAND, "raffle-exists"))
async def announce(
    body: RaffleCreate, journey: JourneyDep, by: Annotated[Caller, allow(P.MANAGE_LOYALTY)],
    idempotency: IdempotencyDep, response: Response,
) -> RaffleCreatedOut:
    raffle_id = body.raffle_id or f"R-{uuid.uuid4().hex[:12].upper()}"
    written = await carry_out(journey, c.AnnounceRaffle(raffle_id, body.prize, body.prizes, body.draw_on), by,
                              idempotency, response)
    return RaffleCreatedOut(position=written.position, raffle_id=written.answer["raffle_id"])  # a retry: the first id


@router.post("/loyalty/raffles/{raffle_id}/draw", status_code=201, response_model=DrawOut,
             summary="Draw the raffle: every card holder takes part; the seed is recorded",
             responses=problem_responses(*COMMAND, "unknown-raffle", "raffle-drawn", "raffle-not-due"))
async def draw(
    raffle_id: PathId, journey: JourneyDep, by: Annotated[Caller, allow(P.MANAGE_LOYALTY)],
    idempotency: IdempotencyDep, response: Response,
) -> DrawOut:
    written = await carry_out(journey, c.DrawRaffle(raffle_id), by, idempotency, response)
    return DrawOut(position=written.position, **written.answer)


@router.get("/loyalty/raffles/{raffle_id}", response_model=RaffleOut,
            summary="A raffle: prize, entrants and odds; after the draw the seed, the winners and their check",
            responses=problem_responses("invalid-request", "store-unavailable", "unknown-raffle"))
async def raffle_of(raffle_id: PathId, journey: JourneyDep, by: Annotated[Caller, allow(P.READ_LOYALTY)]) -> dict[str, Any]:
    return await run_in_threadpool(raffle_report, journey, raffle_id)


@router.get("/worklists/loyalty", response_model=CardHoldersOut, responses=PAGED,
            summary="The loyalty card holders with balance, tier and discount today, of one tier when asked")
async def card_holders(
    journey: JourneyDep, response: Response, by: Annotated[Caller, allow(P.READ_LOYALTY)],
    tier: Annotated[Literal["bronze", "silver", "gold"] | None, Query()] = None,
    min_position: MinPosition = None, limit: Limit = 100, cursor: Cursor = None,
) -> dict[str, Any]:
    check_cursor(list_names.CARD_HOLDERS, cursor)
    lists = await get_lists(journey)
    return await read_waiting(journey, by, "loyalty-holders", response, min_position, lists.card_holders, tier,
                              limit=limit, cursor=cursor)
