"""Support's commands: a complaint taken on the phone, a detailed-invoice request, and revoking
or shortening a promise (payment deferral) support made. The same commands and rules as the
integrators' CloudEvents."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from domain import commands as c
from domain.access import Permission as P
from services.api.auth import allow
from services.api.deps import IdempotencyDep, JourneyDep, PathId
from services.api.openapi import COMMAND, problem_responses
from services.api.routes.commands import carry_out
from services.api.routes.invoices import ON_INVOICE
from services.api.schemas import (
    ComplaintCreate,
    ComplaintCreatedOut,
    DeferralRevocation,
    DeferralShortening,
    DetailedInvoiceRequestCreate,
    PositionOut,
)
from services.credentials import Caller

router = APIRouter(tags=["support"])

ON_DEFERRAL = problem_responses(
    *COMMAND, "unknown-invoice", "unknown-deferral", "invalid-transition", "promise-of-another-department"
)
DeferralNumber = Annotated[int, Path(ge=1, le=10_000, description="the promise's number on its invoice")]


@router.post("/complaints", status_code=201, response_model=ComplaintCreatedOut,
             summary="Record a complaint; dunning of the order's invoices holds until it is resolved",
             responses=problem_responses(*COMMAND, (422, "unknown-customer"), (422, "unknown-order"), "complaint-exists"))
async def file_complaint(
    body: ComplaintCreate, journey: JourneyDep, by: Annotated[Caller, allow(P.HANDLE_COMPLAINTS)], idempotency: IdempotencyDep, response: Response,
) -> ComplaintCreatedOut:
    complaint_id = body.complaint_id or f"CP-{uuid.uuid4().hex[:12].upper()}"
    command = c.FileComplaint(body.customer_id, complaint_id, body.order_id, body.product_group, body.text)
    written = await carry_out(journey, command, by, idempotency, response, names_in_body=True)
    return ComplaintCreatedOut(position=written.position, complaint_id=written.answer["complaint_id"])


@router.post("/invoices/{invoice_id}/detailed-invoice-requests", status_code=201, response_model=PositionOut,
             summary="Record that the customer asked for a detailed invoice; dunning holds until it is sent",
             responses=problem_responses(*ON_INVOICE))
async def request_detailed_invoice(
    invoice_id: PathId, body: DetailedInvoiceRequestCreate, journey: JourneyDep, by: Annotated[Caller, allow(P.REQUEST_DETAILED_INVOICES)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    command = c.RequestDetailedInvoice(None, invoice_id, body.note)
    return PositionOut(position=(await carry_out(journey, command, by, idempotency, response)).position)


@router.post("/invoices/{invoice_id}/deferrals/{number}/revocation", status_code=201, response_model=PositionOut,
             summary="Revoke a promise the acting department made; dunning is no longer held by it",
             responses=ON_DEFERRAL)
async def revoke_deferral(
    invoice_id: PathId, number: DeferralNumber, body: DeferralRevocation, journey: JourneyDep,
    by: Annotated[Caller, allow(P.GRANT_DEFERRALS)], idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    command = c.RevokeDeferral(invoice_id, number, body.reason)
    return PositionOut(position=(await carry_out(journey, command, by, idempotency, response)).position)


@router.post("/invoices/{invoice_id}/deferrals/{number}/shortening", status_code=201, response_model=PositionOut,
             summary="Move the last day of a promise the acting department made to an earlier day",
             responses=ON_DEFERRAL)
async def shorten_deferral(
    invoice_id: PathId, number: DeferralNumber, body: DeferralShortening, journey: JourneyDep,
    by: Annotated[Caller, allow(P.GRANT_DEFERRALS)], idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    command = c.ShortenDeferral(invoice_id, number, body.until, body.reason)
    return PositionOut(position=(await carry_out(journey, command, by, idempotency, response)).position)
