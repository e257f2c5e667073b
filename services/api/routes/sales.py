"""Sales' commands: an order taken by phone. The same command and rules as ``order.placed``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response

from domain import commands as c
from domain.access import Permission as P
from services.api.auth import allow
from services.api.deps import IdempotencyDep, JourneyDep
from services.api.openapi import COMMAND, problem_responses
from services.api.routes.commands import carry_out
from services.api.schemas import OrderCreate, OrderCreatedOut
from services.credentials import Caller

router = APIRouter(tags=["sales"])


@router.post("/orders", status_code=201, response_model=OrderCreatedOut, summary="Record an order taken by phone",
             responses=problem_responses(*COMMAND, (422, "unknown-customer"), "order-exists"))
async def place_order(
    body: OrderCreate, journey: JourneyDep, by: Annotated[Caller, allow(P.RECORD_ORDERS)], idempotency: IdempotencyDep, response: Response,
) -> OrderCreatedOut:
    order_id = body.order_id or f"O-{uuid.uuid4().hex[:12].upper()}"
    lines = tuple(line.value() for line in body.lines)
    written = await carry_out(journey, c.PlaceOrder(body.customer_id, order_id, lines, body.currency), by, idempotency, response,
                              names_in_body=True)
    return OrderCreatedOut(position=written.position, order_id=written.answer["order_id"])
