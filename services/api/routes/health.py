"""Health for orchestrators: liveness (the process answers) and readiness (it can serve)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.api.deps import JourneyDep
from services.api.problems import problem
from services.health import readiness

router = APIRouter(tags=["operations"])


@router.get("/health/live", summary="The process is up (touches no database)")
async def live() -> dict[str, Any]:
    return {"status": "live"}


@router.get(
    "/health/ready",
    summary="Ready to serve: store reachable, projector running, views close to the head",
    responses={503: {"description": "not ready; the problem names why, with head, position, lag"}},
)
def ready(journey: JourneyDep) -> Any:
    ok, body = readiness(journey)
    if not ok:
        return problem(503, "not-ready", body["error"], headers={"Retry-After": "1"}, **body)
    return {"status": "ready", **body}
