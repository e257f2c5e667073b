"""Department commands on invoices: deferrals, corrected invoices, disputes, dunning, collection."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from domain import commands as c
from domain.access import Permission as P
from services.api.auth import allow
from services.api.deps import IdempotencyDep, JourneyDep, PathId
from services.api.openapi import COMMAND, problem_responses
from services.api.routes.commands import carry_out
from services.api.schemas import (
    CorrectedInvoiceCreate,
    DeferralCreate,
    DisputeCreate,
    DisputeResolution,
    DunningStepOut,
    PositionOut,
)
from services.credentials import Caller

router = APIRouter(prefix="/invoices/{invoice_id}", tags=["departments"])

#: What every command on an invoice may answer: the invoice is unknown, or past the step.
ON_INVOICE = (*COMMAND, "unknown-invoice", "invalid-transition")


@router.post(
    "/deferrals", status_code=201, response_model=PositionOut, summary="Grant a payment deferral (support)",
    responses=problem_responses(*ON_INVOICE),
)
async def grant_deferral(
    invoice_id: PathId, body: DeferralCreate, journey: JourneyDep, by: Annotated[Caller, allow(P.GRANT_DEFERRALS)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    command = c.GrantDeferral(None, invoice_id, body.until, body.reason)
    return PositionOut(position=(await carry_out(journey, command, by, idempotency, response)).position)


@router.post(
    "/corrected-invoices", status_code=201, response_model=PositionOut,
    summary="Send a corrected, detailed invoice (billing); answers open detailed-invoice requests",
    responses=problem_responses(*ON_INVOICE, "currency-mismatch"),
)
async def issue_corrected_invoice(
    invoice_id: PathId, body: CorrectedInvoiceCreate, journey: JourneyDep, by: Annotated[Caller, allow(P.CORRECT_INVOICES)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    command = body.correction(None, invoice_id)
    return PositionOut(position=(await carry_out(journey, command, by, idempotency, response)).position)


@router.post(
    "/disputes", status_code=201, response_model=PositionOut, summary="Open a dispute",
    responses=problem_responses(*ON_INVOICE),
)
async def open_dispute(
    invoice_id: PathId, body: DisputeCreate, journey: JourneyDep, by: Annotated[Caller, allow(P.HANDLE_DISPUTES)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    command = c.OpenDispute(None, invoice_id, body.reason)
    return PositionOut(position=(await carry_out(journey, command, by, idempotency, response)).position)


@router.post(
    "/dispute-resolution", status_code=201, response_model=PositionOut, summary="Resolve the open dispute",
    responses=problem_responses(*ON_INVOICE),
)
async def resolve_dispute(
    invoice_id: PathId, body: DisputeResolution, journey: JourneyDep, by: Annotated[Caller, allow(P.HANDLE_DISPUTES)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    command = c.ResolveDispute(None, invoice_id, body.resolution)
    return PositionOut(position=(await carry_out(journey, command, by, idempotency, response)).position)


@router.post(
    "/dunning", status_code=201, response_model=DunningStepOut,
    summary="Reach the next dunning level (billing); 409 lists every active hold",
    responses=problem_responses(*ON_INVOICE, "dunning-refused"),
)
async def dun(
    invoice_id: PathId, journey: JourneyDep, by: Annotated[Caller, allow(P.DUN)], idempotency: IdempotencyDep, response: Response,
) -> DunningStepOut:
    written = await carry_out(journey, c.DunInvoice(invoice_id), by, idempotency, response)
    return DunningStepOut(position=written.position, level=written.answer["level"])


@router.post(
    "/collection", status_code=201, response_model=PositionOut,
    summary="Hand the invoice to collection after the final notice (billing); 409 lists the holds",
    responses=problem_responses(*ON_INVOICE, "dunning-refused"),
)
async def hand_to_collection(
    invoice_id: PathId, journey: JourneyDep, by: Annotated[Caller, allow(P.DUN)], idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    written = await carry_out(journey, c.HandToCollection(invoice_id), by, idempotency, response)
    return PositionOut(position=written.position)
