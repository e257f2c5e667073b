"""Department commands on complaints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from domain import commands as c
from domain.access import Permission as P
from services.api.auth import allow
from services.api.deps import IdempotencyDep, JourneyDep, PathId
from services.api.openapi import COMMAND, problem_responses
from services.api.routes.commands import carry_out
from services.api.schemas import ComplaintAnswer, ComplaintResolution, PositionOut
from services.credentials import Caller

router = APIRouter(prefix="/complaints/{complaint_id}", tags=["departments"])

#: What every command on a complaint may answer: the complaint is unknown, or already resolved.
ON_COMPLAINT = problem_responses(*COMMAND, "unknown-complaint", "invalid-transition")


@router.post(
    "/answers", status_code=201, response_model=PositionOut, summary="Answer a complaint (support)",
    responses=ON_COMPLAINT,
)
async def answer(
    complaint_id: PathId, body: ComplaintAnswer, journey: JourneyDep, by: Annotated[Caller, allow(P.HANDLE_COMPLAINTS)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    command = c.AnswerComplaint(None, complaint_id, body.text)
    return PositionOut(position=(await carry_out(journey, command, by, idempotency, response)).position)


@router.post(
    "/resolution", status_code=201, response_model=PositionOut, summary="Resolve a complaint (support)",
    responses=ON_COMPLAINT,
)
async def resolve(
    complaint_id: PathId, body: ComplaintResolution, journey: JourneyDep, by: Annotated[Caller, allow(P.HANDLE_COMPLAINTS)],
    idempotency: IdempotencyDep, response: Response,
) -> PositionOut:
    command = c.ResolveComplaint(None, complaint_id, body.note)
    return PositionOut(position=(await carry_out(journey, command, by, idempotency, response)).position)
