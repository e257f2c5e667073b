"""Who read whom (the auditor's access log) and the admin's keys and configuration.

The admin manages credentials and reads the configuration; it sees no customer data. The access
log is read by the auditor: it shows who looked at a customer, not what they saw."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from adapters.schemas import ID_PATTERN
from domain.access import Permission as P
from domain.access import Role
from services.api.auth import allow
from services.api.deps import JourneyDep, PathId
from services.api.openapi import problem_responses
from services.api.problems import ProblemError
from services.credentials import Caller, key_row
from services.cursors import InvalidCursorError, decode_cursor, encode_cursor

router = APIRouter(tags=["security"])

ACCESSES = "accesses"


class AccessOut(BaseModel):
    seq: int
    at: str = Field(description="when the data was read")
    principal: str = Field(description="the key's name or the token's subject")
    role: str
    credential: str = Field(description="key:<key id> or token:<subject>: which credential read it")
    customer_id: str
    view: str = Field(description="the route family that showed the data, e.g. billing, journey, invoice")


class AccessesOut(BaseModel):
    customer_id: str
    accesses: list[AccessOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


class KeyOut(BaseModel):
    key_id: str
    name: str
    role: Role
    sources: list[str]
    created_at: str
    revoked_at: str | None


class KeyCreate(BaseModel):
    role: Role
    name: str | None = Field(None, min_length=1, max_length=200, pattern=ID_PATTERN)
    sources: list[Annotated[str, Field(min_length=1, max_length=200, pattern=ID_PATTERN)]] = Field(
        default_factory=list, max_length=100, description="CloudEvent sources an integrator key may publish for"
    )


class KeyCreatedOut(KeyOut):
    key: str = Field(description="the API key: shown this once, stored only as a hash")


class KeysOut(BaseModel):
    keys: list[KeyOut]


@router.get("/customers/{customer_id}/accesses", response_model=AccessesOut,
            summary="Who read this customer's data, when and through which view (oldest first)",
            responses=problem_responses("invalid-request", "invalid-cursor", "unknown-customer", "store-unavailable"))
async def accesses(
    customer_id: PathId, journey: JourneyDep, by: Annotated[Caller, allow(P.READ_ACCESS_LOG)],
    limit: Annotated[int, Query(ge=1, le=1000, description="entries per page")] = 100,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    after = _after(cursor)

    def page() -> list[dict[str, Any]]:
        if not journey.reads.knows(customer_id):
            raise ProblemError(404, "unknown-customer", f"customer {customer_id} is unknown")
        return journey.access_log.of(customer_id, after, limit)

    rows = await run_in_threadpool(page)
    more = len(rows) == limit
    return {"customer_id": customer_id, "accesses": rows,
            "next_cursor": encode_cursor(ACCESSES, str(rows[-1]["seq"])) if more else None}


def _after(cursor: str | None) -> int:
    """The seq a cursor of the access log continues after; 422 invalid-cursor for anything else."""
    if not cursor:
        return 0
    seq = decode_cursor(ACCESSES, cursor)
    if not seq.isdigit() or int(seq) >= 2**63:
        raise InvalidCursorError("the cursor is not one a page of accesses answered")
    return int(seq)


@router.get("/admin/keys", response_model=KeysOut, summary="Every API key (never its secret)",
            responses=problem_responses("store-unavailable"))
def list_keys(journey: JourneyDep, by: Annotated[Caller, allow(P.MANAGE_KEYS)]) -> dict[str, Any]:
    return {"keys": [key_row(k) for k in journey.credentials.keys()]}


@router.post("/admin/keys", status_code=201, response_model=KeyCreatedOut,
             summary="Create an API key; the answer shows the key once",
             responses=problem_responses("malformed-json", "payload-too-large", "invalid-request", "domain-rule", "store-unavailable"))
def create_key(body: KeyCreate, journey: JourneyDep, by: Annotated[Caller, allow(P.MANAGE_KEYS)]) -> dict[str, Any]:
    try:
        key, stored = journey.credentials.create(body.role, body.name, body.sources)
    except ValueError as error:
        raise ProblemError(422, "domain-rule", str(error)) from None
    return {**key_row(stored), "key": key}


@router.post("/admin/keys/{key_id}/revocation", response_model=KeyOut, summary="Revoke an API key",
             responses=problem_responses("invalid-request", (404, "unknown-key"), "payload-too-large", "store-unavailable"))
def revoke_key(key_id: PathId, journey: JourneyDep, by: Annotated[Caller, allow(P.MANAGE_KEYS)]) -> dict[str, Any]:
    if not journey.credentials.revoke(key_id):
        raise ProblemError(404, "unknown-key", f"API key {key_id} is unknown")
    stored = journey.credentials.tables.key(key_id)
    assert stored is not None  # noqa: S101 -- revoked just now; keys are never deleted
    return key_row(stored)


@router.get("/admin/configuration", summary="The settings in force (passwords and keys left out)",
            responses=problem_responses("store-unavailable"))
async def configuration(journey: JourneyDep, by: Annotated[Caller, allow(P.READ_CONFIGURATION)]) -> dict[str, Any]:
    settings = journey.settings.model_dump(mode="json")
    settings["database_url"] = journey.location.redacted_url
    return {key: value for key, value in settings.items() if "secret" not in key and "password" not in key}
