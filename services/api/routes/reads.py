"""Department reads. Each answer carries the position it reflects (body and X-Journey-Position).

``?min_position=N`` waits, bounded, until the views have caught up (else 503 with Retry-After),
without holding a worker thread: the routes are ``async`` and only the snapshot read itself runs
in the thread pool. A position beyond the stream's head answers 422 at once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from services.api.deps import JourneyDep, MinPosition, PathId
from services.api.openapi import READ, problem_responses
from services.api.view_schemas import BillingView, CandidatesOut, JourneyOut, SupportView, ViewsOut
from services.reads import decode_candidates_cursor

router = APIRouter(tags=["departments"])

def _positioned(response: Response, body: dict[str, Any]) -> dict[str, Any]:
    response.headers["X-Journey-Position"] = str(body["position"])
    return body


@router.get("/customers/{customer_id}/journey", summary="Every touchpoint of a customer, in stream order",
            response_model=JourneyOut, responses=problem_responses(*READ, "unknown-customer"))
async def journey_of(customer_id: PathId, journey: JourneyDep, response: Response, min_position: MinPosition = None) -> dict[str, Any]:
    await journey.reads.caught_up(min_position)
    return _positioned(response, await run_in_threadpool(journey.reads.journey, customer_id))


@router.get("/customers/{customer_id}/billing", summary="Billing's view: invoices, balance, dunning, holds",
            response_model=BillingView, responses=problem_responses(*READ, "unknown-customer"))
async def billing_of(customer_id: PathId, journey: JourneyDep, response: Response, min_position: MinPosition = None) -> dict[str, Any]:
    await journey.reads.caught_up(min_position)
    return _positioned(response, await run_in_threadpool(journey.reads.billing, customer_id))


@router.get("/customers/{customer_id}/support", summary="Support's view: complaints, promises, requests",
            response_model=SupportView, responses=problem_responses(*READ, "unknown-customer"))
async def support_of(customer_id: PathId, journey: JourneyDep, response: Response, min_position: MinPosition = None) -> dict[str, Any]:
    await journey.reads.caught_up(min_position)
    return _positioned(response, await run_in_threadpool(journey.reads.support, customer_id))


@router.get("/customers/{customer_id}/views", summary="Billing and support at one and the same position",
            response_model=ViewsOut, responses=problem_responses(*READ, "unknown-customer"))
async def views_of(customer_id: PathId, journey: JourneyDep, response: Response, min_position: MinPosition = None) -> dict[str, Any]:
    await journey.reads.caught_up(min_position)
    return _positioned(response, await run_in_threadpool(journey.reads.views, customer_id))


@router.get("/dunning/candidates", summary="Overdue invoices that may be dunned now, a page at a time",
            response_model=CandidatesOut, responses=problem_responses(*READ, "invalid-cursor"))
async def dunning_candidates(
    journey: JourneyDep,
    response: Response,
    min_position: MinPosition = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="candidates per page")] = 100,
    cursor: Annotated[str | None, Query(max_length=100, description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    if cursor:
        decode_candidates_cursor(cursor)  # refuse a foreign cursor (422) before waiting for anything
    await journey.reads.caught_up(min_position)
    page = await run_in_threadpool(journey.reads.dunning_candidates, limit=limit, cursor=cursor)
    return _positioned(response, page)
