"""The data protection officer's erasure of a person (right to be forgotten)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from domain.access import Permission as P
from services.api.auth import allow
from services.api.deps import JourneyDep, PathId
from services.api.openapi import problem_responses
from services.credentials import Caller
from services.privacy import Privacy

router = APIRouter(tags=["privacy"])


class ErasureOut(BaseModel):
    customer_id: str
    position: int = Field(description="the stream position of the erasure: reads there show the person erased")
    erased: bool = Field(True, description='always true: every personal value now reads "[erased]"')


@router.delete(
    "/customers/{customer_id}/personal-data", response_model=ErasureOut,
    summary="Erase the customer's personal data (crypto-shredding); again: the same answer, nothing recorded",
    responses=problem_responses("invalid-request", "unknown-customer", "store-unavailable"),
)
def erase_personal_data(
    customer_id: PathId, journey: JourneyDep, by: Annotated[Caller, allow(P.ERASE_PERSONAL_DATA)], response: Response,
) -> ErasureOut:
    """Records ``Customer.PersonalDataErased`` (the erasing department only, not who), destroys
    the customer's data key and purges the database files; blocks until the views show the
    person erased. Amounts, dates, dunning levels and holds stay."""
    erasure = Privacy(journey).erase(customer_id, by.principal)
    if not erasure.recorded:
        response.headers["Idempotent-Replayed"] = "true"
    return ErasureOut(customer_id=customer_id, position=erasure.position)
