"""The loyalty card: taking one, redeeming points, and the card as the customer's departments
see it. Points are earned and taken back by the payments and credit notes themselves (in the
same write); expiry is a daily job (``journey loyalty expire``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import Field

from adapters.schemas import Id
from domain import commands as c
from domain.access import Permission as P
from services.api.auth import allow
from services.api.deps import AsOfPosition, AsOfTime, IdempotencyDep, JourneyDep, MinPosition, PathId
from services.api.openapi import COMMAND, READ, problem_responses
from services.api.routes.commands import carry_out
from services.api.routes.reads import _view_name, point_in_time, read_logged
from services.api.schemas import Body, PositionOut
from services.api.view_schemas import LoyaltyView
from services.credentials import Caller

router = APIRouter(tags=["loyalty"])


class RedemptionCreate(Body):
    points: int = Field(ge=1, le=10_000_000)
    reward: Id = Field(description="what the points bought: a voucher, a product, a discount code")


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
    return await read_logged(journey, by, _view_name("loyalty", point), response, journey.reads.loyalty,
                             customer_id, as_of=point)
