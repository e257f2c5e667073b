"""Find and list: customers, one invoice, complaint or order by its id, and the departments'
worklists. Each answer carries the position it reflects (body and X-Journey-Position) and
honours ``?min_position=N`` as every read does; lists are paged by an opaque ``cursor``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from adapters.schemas import ID_PATTERN
from domain.access import Permission as P
from projections import lists as list_names
from services.api.auth import allow
from services.api.deps import JourneyDep, MinPosition, PathId
from services.api.list_schemas import (
    Bucket,
    CollectionOut,
    ComplaintDetailOut,
    CustomersOut,
    InvoiceDetailOut,
    OpenComplaintsOut,
    OrderDetailOut,
    ReceivablesOut,
)
from services.api.openapi import READ, problem_responses
from services.api.routes.reads import read_logged
from services.bootstrap import Journey
from services.credentials import Caller
from services.cursors import decode_cursor
from services.lists import Lists

router = APIRouter(tags=["find and list"])


async def get_lists(journey: JourneyDep) -> Lists:
    return Lists(journey.reads)


ListsDep = Annotated[Lists, Depends(get_lists)]
Limit = Annotated[int, Query(ge=1, le=1000, description="entries per page")]
Cursor = Annotated[str | None, Query(max_length=2000, description="next_cursor of the previous page of this list")]


def _unknown(kind: str) -> dict[int | str, dict[str, Any]]:
    """A read of one document: what every read answers, and 404 when the id is unknown."""
    return problem_responses(*READ, (404, f"unknown-{kind}"))


#: What a paged list answers besides its page.
PAGED = problem_responses(*READ, "invalid-cursor")


async def read_waiting(
    journey: Journey, by: Caller, view: str, response: Response, min_position: int | None, read: Any,
    *args: Any, **kwargs: Any,
) -> dict[str, Any]:
    await journey.reads.caught_up(min_position)
    return await read_logged(journey, by, view, response, read, *args, **kwargs)


def check_cursor(name: str, cursor: str | None) -> None:
    if cursor:
        decode_cursor(name, cursor)  # refuse a foreign cursor (422) before waiting for anything


@router.get("/customers", summary="Customers by name, email, phone or id prefix, a page at a time", response_model=CustomersOut,
            responses=PAGED)
async def find_customers(
    journey: JourneyDep, lists: ListsDep, response: Response, by: Annotated[Caller, allow(P.READ_CUSTOMERS)],
    min_position: MinPosition = None,
    q: Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$", description=(
        "case-insensitive: part of the name or email, the start of the customer id, or part of the "
        "phone number (spaces and punctuation ignored); all customers when absent"))] = None,
    limit: Limit = 100, cursor: Cursor = None,
) -> dict[str, Any]:
    check_cursor(list_names.CUSTOMERS, cursor)
    return await read_waiting(journey, by, "customers", response, min_position, lists.customers, q, limit=limit, cursor=cursor)


@router.get("/invoices/{invoice_id}", summary="One invoice as billing sees it, with the customer's contact data",
            response_model=InvoiceDetailOut, responses=_unknown("invoice"))
async def invoice(invoice_id: PathId, journey: JourneyDep, lists: ListsDep, response: Response, by: Annotated[Caller, allow(P.READ_BILLING)],
    min_position: MinPosition = None) -> dict[str, Any]:
    return await read_waiting(journey, by, "invoice", response, min_position, lists.invoice, invoice_id)


@router.get("/complaints/{complaint_id}", summary="One complaint with its history and the customer's contact data",
            response_model=ComplaintDetailOut, responses=_unknown("complaint"))
async def complaint(complaint_id: PathId, journey: JourneyDep, lists: ListsDep, response: Response, by: Annotated[Caller, allow(P.READ_SUPPORT)],
    min_position: MinPosition = None) -> dict[str, Any]:
    return await read_waiting(journey, by, "complaint", response, min_position, lists.complaint, complaint_id)


@router.get("/orders/{order_id}", summary="One order with its invoices, complaints and the customer's contact data",
            response_model=OrderDetailOut, responses=_unknown("order"))
async def order(order_id: PathId, journey: JourneyDep, lists: ListsDep, response: Response, by: Annotated[Caller, allow(P.READ_ORDERS)],
    min_position: MinPosition = None) -> dict[str, Any]:
    return await read_waiting(journey, by, "order", response, min_position, lists.order, order_id)


@router.get("/worklists/open-complaints", summary="Support: complaints not resolved, oldest first", response_model=OpenComplaintsOut,
            responses=PAGED)
async def open_complaints(
    journey: JourneyDep, lists: ListsDep, response: Response, by: Annotated[Caller, allow(P.READ_SUPPORT)],
    min_position: MinPosition = None,
    product_group: Annotated[str | None, Query(min_length=1, max_length=200, pattern=ID_PATTERN)] = None,
    min_age_days: Annotated[int | None, Query(ge=0, le=36500, description="filed at least this many days ago")] = None,
    limit: Limit = 100, cursor: Cursor = None,
) -> dict[str, Any]:
    check_cursor(list_names.OPEN_COMPLAINTS, cursor)
    return await read_waiting(journey, by, "open-complaints", response, min_position, lists.open_complaints, product_group, min_age_days,
                       limit=limit, cursor=cursor)


@router.get("/worklists/in-collection", summary="Billing: invoices handed to collection and not settled, oldest due first",
            response_model=CollectionOut, responses=PAGED)
async def in_collection(
    journey: JourneyDep, lists: ListsDep, response: Response, by: Annotated[Caller, allow(P.READ_DUNNING_WORKLISTS)],
    min_position: MinPosition = None,
    limit: Limit = 100, cursor: Cursor = None,
) -> dict[str, Any]:
    check_cursor(list_names.IN_COLLECTION, cursor)
    return await read_waiting(journey, by, "in-collection", response, min_position, lists.in_collection, limit=limit, cursor=cursor)


@router.get("/worklists/aged-receivables", summary="Billing: open invoices by days past due, with totals per bucket",
            response_model=ReceivablesOut, responses=PAGED)
async def aged_receivables(
    journey: JourneyDep, lists: ListsDep, response: Response, by: Annotated[Caller, allow(P.READ_DUNNING_WORKLISTS)],
    min_position: MinPosition = None,
    bucket: Annotated[Bucket | None, Query(description="days past due; 0-30 includes invoices not yet due")] = None,
    limit: Limit = 100, cursor: Cursor = None,
) -> dict[str, Any]:
    check_cursor(list_names.RECEIVABLES, cursor)
    return await read_waiting(journey, by, "aged-receivables", response, min_position, lists.receivables, bucket, limit=limit, cursor=cursor)
