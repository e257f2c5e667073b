"""Department commands on complaints."""

from __future__ import annotations

from fastapi import APIRouter

from domain import commands as c
from services.api.deps import JourneyDep, PathId, PrincipalDep
from services.api.schemas import ComplaintAnswer, ComplaintResolution, Written

router = APIRouter(prefix="/complaints/{complaint_id}", tags=["departments"])


@router.post("/answers", status_code=201, response_model=Written, summary="Answer a complaint (support)")
def answer(complaint_id: PathId, body: ComplaintAnswer, journey: JourneyDep, by: PrincipalDep) -> Written:
    return Written(position=journey.service.execute(c.AnswerComplaint(None, complaint_id, body.text), by).position)


@router.post("/resolution", status_code=201, response_model=Written, summary="Resolve a complaint (support)")
def resolve(complaint_id: PathId, body: ComplaintResolution, journey: JourneyDep, by: PrincipalDep) -> Written:
    return Written(position=journey.service.execute(c.ResolveComplaint(None, complaint_id, body.note), by).position)
