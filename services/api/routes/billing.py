"""Billing's commands: a payment received, a credit note, a write-off, the customer's credit
offset against open invoices. The same commands and rules as the integrators' CloudEvents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from domain import commands as c
from domain.access import Permission as P
from domain.values import Money
from services.api.auth import allow
from services.api.deps import IdempotencyDep, JourneyDep, PathId
from services.api.openapi import COMMAND, problem_responses
from services.api.routes.commands import carry_out
from services.api.routes.invoices import ON_INVOICE
from services.api.schemas import (
    CreditNoteCreate,
    CreditOffsetCreate,
    CreditOffsetOut,
    MoneyOut,
    OffsetOut,
    PaymentCreate,
    PositionOut,
    WriteOffCreate,
    WriteOffOut,
)
from services.credentials import Caller

router = APIRouter(tags=["billing"])


@router.post("/invoices/{invoice_id}/payments", status_code=201, response_model=PositionOut,
             summary="Record a payment billing received",
             responses=problem_responses(*ON_INVOICE, "currency-mismatch", "too-many-decimals"))
async def record_payment(
    invoice_id: PathId, body: PaymentCreate, journey: JourneyDep, by: Annotated[Caller, allow(P.MANAGE_RECEIVABLES)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    command = c.ReceivePayment(None, invoice_id, Money(body.amount, body.currency))
    return PositionOut(position=(await carry_out(journey, command, by, idempotency, response)).position)


@router.post("/invoices/{invoice_id}/credit-notes", status_code=201, response_model=PositionOut,
             summary="Issue a credit note: the amount is no longer owed (what was paid beyond becomes credit)",
             responses=problem_responses(*ON_INVOICE, "currency-mismatch", "too-many-decimals"))
async def issue_credit_note(
    invoice_id: PathId, body: CreditNoteCreate, journey: JourneyDep, by: Annotated[Caller, allow(P.MANAGE_RECEIVABLES)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    command = c.IssueCreditNote(invoice_id, Money(body.amount, body.currency), body.reason)
    return PositionOut(position=(await carry_out(journey, command, by, idempotency, response)).position)


@router.post("/invoices/{invoice_id}/write-offs", status_code=201, response_model=WriteOffOut,
             summary="Write off what is still owed; the invoice is settled",
             responses=problem_responses(*ON_INVOICE))
async def write_off(
    invoice_id: PathId, body: WriteOffCreate, journey: JourneyDep, by: Annotated[Caller, allow(P.MANAGE_RECEIVABLES)],
    idempotency: IdempotencyDep, response: Response,
) -> WriteOffOut:
    written = await carry_out(journey, c.WriteOffInvoice(invoice_id, body.reason), by, idempotency, response)
    return WriteOffOut(position=written.position, written_off=MoneyOut(**written.answer["amount"]))


@router.post("/customers/{customer_id}/credit-offsets", status_code=201, response_model=CreditOffsetOut,
             summary="Offset the customer's credit against its open invoices, earliest due first",
             responses=problem_responses(*COMMAND, "unknown-customer", "nothing-to-offset"))
async def offset_credit(
    customer_id: PathId, body: CreditOffsetCreate, journey: JourneyDep, by: Annotated[Caller, allow(P.MANAGE_RECEIVABLES)],
    idempotency: IdempotencyDep, response: Response,
) -> CreditOffsetOut:
    written = await carry_out(journey, c.OffsetCredit(customer_id, body.currency), by, idempotency, response)
    offsets = [OffsetOut(**o) for o in written.answer["offsets"]]
    return CreditOffsetOut(position=written.position, offsets=offsets)
