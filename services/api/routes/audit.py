"""The auditor's read-only API under ``/audit/``: the stored stream a page at a time, one customer's
events, and every department decision explained and checked again; and a person's own data as one
document (right of access). Nothing here writes to the stream; every customer shown is recorded
in the access log, as every other read is. The customers of events are known through the views,
so each read first waits (bounded, as ``min_position`` does) until the views reach the position
it shows."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from domain.access import Permission as P
from domain.errors import UnknownError
from services.api.auth import allow
from services.api.deps import JourneyDep, MinPosition, PathId
from services.api.openapi import READ, problem_responses
from services.api.routes.reads import read_logged
from services.bootstrap import Journey
from services.credentials import Caller
from services.export import export
from services.verification import last_report, verify

router = APIRouter(tags=["audit"])
log = logging.getLogger(__name__)


class AuditEvent(BaseModel):
    position: int
    type: str = Field(description="the event type, e.g. Invoice.DunningLevelReached")
    customer_id: str | None = Field(description="the customer the event belongs to, as the views know it")
    originator_id: str
    originator_version: int
    recorded_at: str = Field(description="when the event was stored")
    at: str | None = Field(description="the business time of the touchpoint")
    actor: dict[str, Any] | None
    data: dict[str, Any]
    checked: dict[str, Any] | None = Field(None, description="a decision's facts as it recorded them")


class StreamPage(BaseModel):
    position: int = Field(description="the stream's head when the page was read")
    events: list[AuditEvent]
    next_position: int | None = Field(description="pass as ?from_position= for the next page; null at the head")


class CustomerEvents(BaseModel):
    position: int
    customer_id: str
    events: list[AuditEvent]


class DecisionOut(BaseModel):
    position: int
    decision: str = Field(description="dunning-step, collection-hand-off, payment-deferral, corrected-invoice, "
                                      "credit-note or dispute-outcome")
    type: str
    customer_id: str
    invoice_id: str
    decided_at_position: int = Field(description="the decision was checked against the stream up to here")
    decided_by: dict[str, Any]
    at: str
    checked: dict[str, Any] | None = Field(description="the facts the decision recorded (null before they were)")
    recomputed: dict[str, Any] = Field(description="the same facts recomputed from the history")
    holds: bool = Field(description="the rule allows it on those facts and the recorded facts match the history")
    problems: list[str]
    depends_on: list[int] = Field(description="positions of the events the facts were built from")
    explanation: str


@router.get("/audit/events", summary="A page of the stored stream, by position", response_model=StreamPage,
            responses=problem_responses(*READ))
async def stream_page(
    journey: JourneyDep, response: Response, by: Annotated[Caller, allow(P.READ_AUDIT)],
    from_position: Annotated[int, Query(ge=1, description="the first position of the page")] = 1,
    limit: Annotated[int, Query(ge=1, le=1000, description="events per page")] = 100,
) -> dict[str, Any]:
    head = await run_in_threadpool(journey.service.head)
    await journey.reads.caught_up(min(head, from_position + limit - 1))

    def read() -> dict[str, Any]:
        return journey.audit.page(from_position, limit, head)

    return await read_logged(journey, by, "audit-events", response, read)


@router.get("/audit/customers/{customer_id}/events", summary="Every stored event of one customer",
            response_model=CustomerEvents, responses=problem_responses(*READ, "unknown-customer"))
async def customer_events(
    customer_id: PathId, journey: JourneyDep, response: Response, by: Annotated[Caller, allow(P.READ_AUDIT)],
) -> dict[str, Any]:
    head = await run_in_threadpool(journey.service.head)
    await journey.reads.caught_up(head)

    def read() -> dict[str, Any]:
        if not journey.reads.knows(customer_id):
            raise UnknownError("customer", customer_id)
        found = journey.audit.customer_events(customer_id, head)
        return {"position": head, "customer_id": customer_id, "events": journey.audit.as_json(found)}

    return await read_logged(journey, by, "audit-customer-events", response, read)


@router.get("/audit/decisions/{position}", summary="A department decision explained and checked again",
            response_model=DecisionOut, responses=problem_responses(*READ, "unknown-decision"))
async def decision(
    position: Annotated[int, Path(ge=1)], journey: JourneyDep, response: Response,
    by: Annotated[Caller, allow(P.READ_AUDIT)],
) -> dict[str, Any]:
    head = await run_in_threadpool(journey.service.head)
    await journey.reads.caught_up(min(head, position))

    def read() -> dict[str, Any]:
        return journey.audit.explain(position).to_json()

    return await read_logged(journey, by, "audit-decision", response, read)


class ExportOut(BaseModel):
    customer_id: str
    exported_at: str
    position: int = Field(description="the stream position the history and the views reflect")
    erased_at_position: int | None = Field(description="where the person's data was erased (null: never); "
                                                       "every personal value then reads \"[erased]\"")
    events: list[AuditEvent] = Field(description="every stored event of the person, in stream order")
    views: dict[str, Any] = Field(description="billing, support and journey as the departments read them")


@router.get("/customers/{customer_id}/export", tags=["privacy"], response_model=ExportOut,
            summary="Everything held about a person, as one JSON document (right of access)",
            responses=problem_responses(*READ, "unknown-customer"))
async def export_of(
    customer_id: PathId, journey: JourneyDep, response: Response,
    by: Annotated[Caller, allow(P.EXPORT_PERSONAL_DATA)], min_position: MinPosition = None,
) -> dict[str, Any]:
    await journey.reads.caught_up(min_position)
    # RFC 6266/8187: the id percent-encoded as UTF-8 (a header holds latin-1 only)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(customer_id, safe='')}.json"
    return await read_logged(journey, by, "export", response, export, journey, customer_id)


class VerificationOut(BaseModel):
    running: bool = Field(description="a verification is under way in this process")
    started: bool = Field(description="this request started it (?run=true)")
    last: dict[str, Any] | None = Field(description="the last finished verification's report (null before the "
                                                    "first): ok, first_bad_position, position, checks[...]")


_runs: dict[int, threading.Thread] = {}
_runs_lock = threading.Lock()


def _verify_in_background(journey: Journey) -> None:
    try:
        report = verify(journey)
        log.info("verification up to position %s: %s", report.position, "ok" if report.ok else
                 f"FAILED at position {report.first_bad_position}")
    except Exception:
        log.exception("the verification could not be run")


@router.get("/audit/verification", summary="The last verification of the store; ?run=true starts one",
            response_model=VerificationOut, responses=problem_responses(*READ))
def verification(
    journey: JourneyDep, by: Annotated[Caller, allow(P.READ_AUDIT)],
    run: Annotated[bool, Query(description="start a verification now unless one is under way; "
                                           "poll this resource for its report")] = False,
) -> dict[str, Any]:
    started = False
    with _runs_lock:
        thread = _runs.get(id(journey))
        if run and (thread is None or not thread.is_alive()):
            thread = threading.Thread(target=_verify_in_background, args=(journey,), name="verification", daemon=True)
            _runs[id(journey)] = thread
            thread.start()
            started = True
    last = last_report(journey)
    return {"running": thread is not None and thread.is_alive(), "started": started,
            "last": last.to_dict() if last else None}
