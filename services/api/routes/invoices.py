"""Department commands on invoices: deferrals, corrected invoices, disputes, dunning, collection."""

from __future__ import annotations

from fastapi import APIRouter

from domain import commands as c
from services.api.deps import JourneyDep, PathId, PrincipalDep
from services.api.schemas import (
    CorrectedInvoiceCreate,
    DeferralCreate,
    DisputeCreate,
    DisputeResolution,
    DunningStep,
    Written,
)

router = APIRouter(prefix="/invoices/{invoice_id}", tags=["departments"])


@router.post("/deferrals", status_code=201, response_model=Written, summary="Grant a payment deferral (support)")
def grant_deferral(invoice_id: PathId, body: DeferralCreate, journey: JourneyDep, by: PrincipalDep) -> Written:
    written = journey.service.execute(c.GrantDeferral(None, invoice_id, body.until, body.reason), by)
    return Written(position=written.position)


@router.post(
    "/corrected-invoices", status_code=201, response_model=Written,
    summary="Send a corrected, detailed invoice (billing); answers open detailed-invoice requests",
)
def issue_corrected_invoice(
    invoice_id: PathId, body: CorrectedInvoiceCreate, journey: JourneyDep, by: PrincipalDep
) -> Written:
    return Written(position=journey.service.execute(body.correction(None, invoice_id), by).position)


@router.post("/disputes", status_code=201, response_model=Written, summary="Open a dispute")
def open_dispute(invoice_id: PathId, body: DisputeCreate, journey: JourneyDep, by: PrincipalDep) -> Written:
    return Written(position=journey.service.execute(c.OpenDispute(None, invoice_id, body.reason), by).position)


@router.post("/dispute-resolution", status_code=201, response_model=Written, summary="Resolve the open dispute")
def resolve_dispute(invoice_id: PathId, body: DisputeResolution, journey: JourneyDep, by: PrincipalDep) -> Written:
    command = c.ResolveDispute(None, invoice_id, body.resolution)
    return Written(position=journey.service.execute(command, by).position)


@router.post(
    "/dunning", status_code=201, response_model=DunningStep,
    summary="Reach the next dunning level (billing); 409 lists every active hold",
    responses={409: {"description": "refused: the problem body lists the refusals and active holds"}},
)
def dun(invoice_id: PathId, journey: JourneyDep, by: PrincipalDep) -> DunningStep:
    written = journey.service.execute(c.DunInvoice(invoice_id), by)
    return DunningStep(position=written.position, level=written.events[0].level)


@router.post(
    "/collection", status_code=201, response_model=Written,
    summary="Hand the invoice to collection after the final notice (billing); 409 lists the holds",
)
def hand_to_collection(invoice_id: PathId, journey: JourneyDep, by: PrincipalDep) -> Written:
    return Written(position=journey.service.execute(c.HandToCollection(invoice_id), by).position)
