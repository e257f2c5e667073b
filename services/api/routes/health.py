"""Health for orchestrators: liveness (the process answers) and readiness (it can serve)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.api.deps import JourneyDep
from services.api.openapi import problem_responses
from services.api.problems import problem
from services.api.schemas import LiveOut, ReadyOut
from services.health import readiness

router = APIRouter(tags=["operations"])


@router.get("/health/live", response_model=LiveOut, summary="The process is up (touches no database)")
async def live() -> LiveOut:
    return LiveOut(status="live")


@router.get(
    "/health/ready",
    response_model=ReadyOut,
    response_model_exclude_unset=True,  # an external projector is only {"mode": "external"}
    summary="Ready to serve: store reachable, projector running, views close to the head",
    responses=problem_responses("not-ready"),
)
def ready(journey: JourneyDep) -> Any:
    ok, body = readiness(journey)
    if not ok:  # the problem names why, with head, position, lag and the projector
        return problem(503, "not-ready", body["error"], headers={"Retry-After": "1"}, **body)
    return {"status": "ready", **body}
