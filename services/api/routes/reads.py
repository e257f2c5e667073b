"""Department reads. Each answer carries the position it reflects (body and X-Journey-Position).

``?min_position=N`` waits, bounded, until the views have caught up (else 503 with Retry-After),
without holding a worker thread: the routes are ``async`` and only the snapshot read itself runs
in the thread pool. A position beyond the stream's head answers 422 at once.

``?as_of_position=N`` or ``?as_of=<time>`` on a customer's views answers them as they stood at that
point, folded from the customer's own events up to it (services.reads.Reads.past)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from domain.access import Permission as P
from domain.access import visible_touchpoint
from services.access_log import customer_ids
from services.api.auth import allow
from services.api.deps import AsOfPosition, AsOfTime, JourneyDep, MinPosition, PathId
from services.api.openapi import READ, problem_responses
from services.api.problems import ProblemError
from services.api.view_schemas import BillingView, CandidatesOut, JourneyOut, SupportView, ViewsOut
from services.bootstrap import Journey
from services.credentials import Caller
from services.reads import AsOf, decode_candidates_cursor

router = APIRouter(tags=["departments"])


async def point_in_time(journey: Journey, as_of_position: int | None, as_of: datetime | None) -> AsOf | None:
    """The past point a customer read asks for (None: now), resolved to a position the views
    have reached (waiting, bounded, as ``min_position`` does)."""
    if as_of_position is None and as_of is None:
        return None
    if as_of_position is not None and as_of is not None:
        raise ProblemError(422, "conflicting-parameters", "give as_of_position or as_of, not both")
    point = AsOf(as_of_position, as_of)
    position = await run_in_threadpool(journey.reads.resolve, point)
    await journey.reads.caught_up(position)
    return AsOf(position, as_of)


def view_name(view: str, point: AsOf | None) -> str:
    return view if point is None else f"{view}@{point.position}"


async def read_logged(
    journey: Journey, caller: Caller, view: str, response: Response, read: Callable[..., dict[str, Any]],
    *args: Any, **kwargs: Any,
) -> dict[str, Any]:
    """Read in the thread pool, record every customer the answer shows in the access log (in
    the same hop, before answering), and set X-Journey-Position."""

    def logged() -> dict[str, Any]:
        body = read(*args, **kwargs)
        journey.access_log.record(caller, view, customer_ids(body))
        return body

    body = await run_in_threadpool(logged)
    response.headers["X-Journey-Position"] = str(body["position"])
    return body


@router.get("/customers/{customer_id}/journey", summary="Every touchpoint of a customer, in stream order",
            response_model=JourneyOut, responses=problem_responses(*READ, "unknown-customer", "conflicting-parameters"))
async def journey_of(
    customer_id: PathId, journey: JourneyDep, response: Response, by: Annotated[Caller, allow(P.READ_JOURNEY)],
    min_position: MinPosition = None, as_of_position: AsOfPosition = None, as_of: AsOfTime = None,
) -> dict[str, Any]:
    point = await point_in_time(journey, as_of_position, as_of)
    await journey.reads.caught_up(min_position)
    body = await read_logged(journey, by, view_name("journey", point), response, journey.reads.journey,
                             customer_id, as_of=point)
    return {**body, "touchpoints": [visible_touchpoint(by.role, t) for t in body["touchpoints"]]}


@router.get("/customers/{customer_id}/billing", summary="Billing's view: invoices, balance, dunning, holds",
            response_model=BillingView, responses=problem_responses(*READ, "unknown-customer", "conflicting-parameters"))
async def billing_of(
    customer_id: PathId, journey: JourneyDep, response: Response, by: Annotated[Caller, allow(P.READ_BILLING)],
    min_position: MinPosition = None, as_of_position: AsOfPosition = None, as_of: AsOfTime = None,
) -> dict[str, Any]:
    point = await point_in_time(journey, as_of_position, as_of)
    await journey.reads.caught_up(min_position)
    return await read_logged(journey, by, view_name("billing", point), response, journey.reads.billing,
                             customer_id, as_of=point)


@router.get("/customers/{customer_id}/support", summary="Support's view: complaints, promises, requests",
            response_model=SupportView, responses=problem_responses(*READ, "unknown-customer", "conflicting-parameters"))
async def support_of(
    customer_id: PathId, journey: JourneyDep, response: Response, by: Annotated[Caller, allow(P.READ_SUPPORT)],
    min_position: MinPosition = None, as_of_position: AsOfPosition = None, as_of: AsOfTime = None,
) -> dict[str, Any]:
    point = await point_in_time(journey, as_of_position, as_of)
    await journey.reads.caught_up(min_position)
    return await read_logged(journey, by, view_name("support", point), response, journey.reads.support,
                             customer_id, as_of=point)


@router.get("/customers/{customer_id}/views", summary="Billing, support, marketing and loyalty at one position",
            response_model=ViewsOut, responses=problem_responses(*READ, "unknown-customer", "conflicting-parameters"))
async def views_of(
    customer_id: PathId, journey: JourneyDep, response: Response,
    by: Annotated[Caller, allow(P.READ_BILLING, P.READ_SUPPORT, P.READ_MARKETING, P.READ_LOYALTY)],
    min_position: MinPosition = None, as_of_position: AsOfPosition = None, as_of: AsOfTime = None,
) -> dict[str, Any]:
    point = await point_in_time(journey, as_of_position, as_of)
    await journey.reads.caught_up(min_position)
    return await read_logged(journey, by, view_name("views", point), response, journey.reads.views,
                             customer_id, as_of=point)


@router.get("/dunning/candidates", summary="Overdue invoices that may be dunned now, a page at a time",
            response_model=CandidatesOut, responses=problem_responses(*READ, "invalid-cursor"))
async def dunning_candidates(
    journey: JourneyDep,
    response: Response,
    by: Annotated[Caller, allow(P.READ_DUNNING_WORKLISTS)],
    min_position: MinPosition = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="candidates per page")] = 100,
    cursor: Annotated[str | None, Query(max_length=100, description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    if cursor:
        decode_candidates_cursor(cursor)  # refuse a foreign cursor (422) before waiting for anything
    await journey.reads.caught_up(min_position)
    return await read_logged(
        journey, by, "dunning-candidates", response, journey.reads.dunning_candidates, limit=limit, cursor=cursor
    )
