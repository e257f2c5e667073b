"""Department commands on complaints."""

from __future__ import annotations

from fastapi import APIRouter, Response

from domain import commands as c
from services.api.deps import IdempotencyDep, JourneyDep, PathId, PrincipalDep
from services.api.routes.commands import carry_out
from services.api.schemas import ComplaintAnswer, ComplaintResolution, Written

router = APIRouter(prefix="/complaints/{complaint_id}", tags=["departments"])


@router.post("/answers", status_code=201, response_model=Written, summary="Answer a complaint (support)")
async def answer(
    complaint_id: PathId, body: ComplaintAnswer, journey: JourneyDep, by: PrincipalDep,
    idempotency: IdempotencyDep, response: Response,
) -> Written:
    command = c.AnswerComplaint(None, complaint_id, body.text)
    return Written(position=(await carry_out(journey, command, by, idempotency, response)).position)


@router.post("/resolution", status_code=201, response_model=Written, summary="Resolve a complaint (support)")
async def resolve(
    complaint_id: PathId, body: ComplaintResolution, journey: JourneyDep, by: PrincipalDep,
    idempotency: IdempotencyDep, response: Response,
) -> Written:
    command = c.ResolveComplaint(None, complaint_id, body.note)
    return Written(position=(await carry_out(journey, command, by, idempotency, response)).position)
