"""FastAPI dependencies: the wired journey, the acting principal, the read position."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request

from adapters.schemas import ID_PATTERN
from domain.values import Department, Principal
from services.api.problems import ProblemError
from services.bootstrap import Journey


async def get_journey(request: Request) -> Journey:
    """The wired journey (async: no thread is taken to look it up)."""
    return request.app.state.journey


def get_principal(
    x_department: Annotated[str | None, Header(description="billing, support, sales, marketing, integrator or auditor")] = None,
    x_user: Annotated[str | None, Header(max_length=200, pattern=ID_PATTERN)] = None,
) -> Principal:
    """The acting department (X-Department) and user (X-User), recorded on every event."""
    if x_department is None:
        raise ProblemError(400, "missing-department", "send the acting department in X-Department")
    try:
        department = Department(x_department.strip().lower())
    except ValueError:
        raise ProblemError(
            400, "unknown-department",
            f"X-Department must be one of {', '.join(d.value for d in Department)}",
        ) from None
    return Principal(department, user=x_user)


JourneyDep = Annotated[Journey, Depends(get_journey)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
MinPosition = Annotated[
    int | None,
    Query(ge=0, description="wait (bounded) until the view reflects at least this position"),
]

#: An identifier in a path: the same rule as identifiers in events.
PathId = Annotated[str, Path(min_length=1, max_length=200, pattern=ID_PATTERN)]
